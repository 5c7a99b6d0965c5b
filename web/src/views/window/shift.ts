import { api, ApiError, call } from '../../api/client.ts';

export type Shift = Awaited<ReturnType<typeof currentShift>> & object;

/** The seller's open shift, or null when there is none (a sale needs one). */
export async function currentShift() {
  try {
    return await call(api.GET('/shifts/current'));
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no_open_shift') return null;
    throw err;
  }
}
