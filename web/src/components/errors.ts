import { ElMessage } from 'element-plus';
import { reactive } from 'vue';
import { ApiError } from '../api/client.ts';

/**
 * Errors of a form, by field: the server's message (in the user's language) goes next to the
 * field it names (`error.field` or the first issue's path, e.g. `payments.1.tenderedFen`); what
 * names no field of the form goes to `form`.
 */
export function useFieldErrors<F extends string>(fields: readonly F[]) {
  const errors: Partial<Record<F | 'form', string>> = reactive({});
  const clear = () => { for (const k of Object.keys(errors) as (F | 'form')[]) delete errors[k]; };
  function show(err: unknown, map: (field: string) => F | undefined = (f) => fields.find((x) => f === x || f.startsWith(`${x}.`))) {
    clear();
    if (!(err instanceof ApiError)) {
      errors.form = (err as Error).message;
      return;
    }
    const target: F | undefined = err.field ? map(err.field) : undefined;
    if (target !== undefined) errors[target] = err.message;
    else errors.form = err.message;
  }
  return { errors, clear, show };
}

/** An error no form field owns: a toast with the server's message. */
export function toastError(err: unknown) {
  ElMessage({ type: 'error', message: err instanceof Error ? err.message : String(err), showClose: true, duration: 6000 });
}
