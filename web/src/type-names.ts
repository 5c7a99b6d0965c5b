import { ref } from 'vue';
import { api, call } from './api/client.ts';

const names = ref<Record<string, string>>({});
let loading: Promise<void> | undefined;

/**
 * Ticket type names by code, loaded once per page load: orders, bookings and shift reports
 * carry the code, people read the name.
 */
export function useTypeNames() {
  loading ??= call(api.GET('/ticket-types')).then((r) => {
    names.value = Object.fromEntries(r.items.map((x) => [x.code, x.name]));
  }, () => { loading = undefined; });
  return (code: string) => names.value[code] ?? code;
}
