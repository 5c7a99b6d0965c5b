import { bodyLimits } from '../../shared/net/body-limit.ts';
import type { CloudConfig } from '../config.ts';

/**
 * HQ's request body limits, in one place: a login is a few hundred bytes, JSON is small, and
 * only the routes that carry an image (a face photo, a template with its logo) get more.
 */
export function httpBodyLimits(config: CloudConfig) {
  return bodyLimits({
    maxSize: config.httpBodyLimit,
    rules: [
      { path: /^\/api\/v1\/auth\/login\/?$/, maxSize: config.httpLoginBodyLimit },
      { path: /^\/api\/v1\/tickets\/[^/]+\/face\/?$/, maxSize: config.httpUploadBodyLimit },
      { path: /^\/api\/v1\/templates(\/|$)/, maxSize: config.httpUploadBodyLimit },
    ],
  });
}
