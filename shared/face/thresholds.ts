/**
 * Default thresholds (euclidean distances between descriptors of one model). Calibrated by
 * `npm run eval:face` on the evaluation set (shared/face/eval/); a site re-calibrates on its
 * own enrolment/gate pairs with `npm run calibrate:face`.
 */
export const FACE_THRESHOLD = 0.38;
/** 1:N compares against every enrolled face: stricter, and the runner-up must be clearly further. */
export const FACE_THRESHOLD_1N = 0.34;
export const FACE_MARGIN_1N = 0.06;
