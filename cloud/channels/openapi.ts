import { z } from 'zod';
import { bookingRequest, bookingView, cancelRequest, errorView, payRequest, productsView, reconciliationView } from './schemas.ts';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
const out = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });

const errors = {
  400: { description: 'Bad request (invalid JSON or fields, missing Idempotency-Key)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  401: { description: 'Missing or unknown channel key', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  404: { description: 'No such booking (of this channel)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  409: { description: 'Conflict: quota used up, state does not allow it, Idempotency-Key reused with another body', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  422: { description: 'Well-formed but not acceptable (unknown type, past day, amount mismatch)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
};
const idem = { name: 'Idempotency-Key', in: 'header', required: true, description: 'Unique per write; a retry with the same key and body returns the first answer', schema: { type: 'string', minLength: 1, maxLength: 128 } };
const orderNo = { name: 'orderNo', in: 'path', required: true, schema: { type: 'string' } };
const booking = { description: 'The booking', content: { 'application/json': { schema: { $ref: '#/components/schemas/Booking' } } } };
const body = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });

/** OpenAPI 3.1 description of the booking API, made from the zod schemas the routes validate with. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Scenic ticketing booking API',
      version: '1.0.0',
      description: 'Online and OTA bookings: book -> pay -> tickets (signed codes for QR) -> pickup or cancel. Money in fen. Every write takes an Idempotency-Key.',
    },
    servers: [{ url: '/api/v1/channels' }],
    security: [{ channelKey: [] }],
    components: {
      securitySchemes: { channelKey: { type: 'apiKey', in: 'header', name: 'X-Channel-Key' } },
      schemas: {
        BookingRequest: json(bookingRequest),
        PayRequest: json(payRequest),
        CancelRequest: json(cancelRequest),
        Booking: out(bookingView),
        Products: out(productsView),
        Reconciliation: out(reconciliationView),
        Error: out(errorView),
      },
    },
    paths: {
      '/products': {
        get: {
          operationId: 'listProducts', summary: 'Ticket types this channel sells, its prices and quota left for a day',
          parameters: [{ name: 'day', in: 'query', required: false, schema: { type: 'string', format: 'date' } }],
          responses: { 200: { description: 'Products', content: { 'application/json': { schema: { $ref: '#/components/schemas/Products' } } } }, 400: errors[400], 401: errors[401] },
        },
      },
      '/bookings': {
        post: {
          operationId: 'createBooking', summary: 'Book tickets for a visit day (held until paid)',
          parameters: [idem], requestBody: body('BookingRequest'),
          responses: { 201: booking, 400: errors[400], 401: errors[401], 409: errors[409], 422: errors[422] },
        },
      },
      '/bookings/{orderNo}': {
        get: { operationId: 'getBooking', summary: 'A booking with its tickets', parameters: [orderNo], responses: { 200: booking, 401: errors[401], 404: errors[404] } },
      },
      '/bookings/{orderNo}/pay': {
        post: {
          operationId: 'payBooking', summary: 'Confirm payment: tickets are issued, their codes returned',
          parameters: [orderNo, idem], requestBody: body('PayRequest'),
          responses: { 200: booking, 400: errors[400], 401: errors[401], 404: errors[404], 409: errors[409], 422: errors[422] },
        },
      },
      '/bookings/{orderNo}/cancel': {
        post: {
          operationId: 'cancelBooking', summary: 'Cancel: until the channel\'s cutoff before the visit day, not after pickup or entry; tickets are revoked',
          parameters: [orderNo, idem], requestBody: { ...body('CancelRequest'), required: false },
          responses: { 200: booking, 400: errors[400], 401: errors[401], 404: errors[404], 409: errors[409] },
        },
      },
      '/bookings/{orderNo}/qr.svg': {
        get: {
          operationId: 'bookingQr', summary: 'QR code of the booking (pickup) or, with ?ticket=, of one ticket',
          parameters: [orderNo, { name: 'ticket', in: 'query', required: false, schema: { type: 'string', format: 'uuid' } }],
          responses: { 200: { description: 'SVG image', content: { 'image/svg+xml': { schema: { type: 'string' } } } }, 401: errors[401], 404: errors[404] },
        },
      },
      '/reconciliation': {
        get: {
          operationId: 'reconciliation', summary: 'This channel\'s business day: booked, paid, cancelled, picked up, in fen, with every order',
          parameters: [{ name: 'day', in: 'query', required: true, schema: { type: 'string', format: 'date' } }],
          responses: { 200: { description: 'Reconciliation', content: { 'application/json': { schema: { $ref: '#/components/schemas/Reconciliation' } } } }, 400: errors[400], 401: errors[401] },
        },
      },
    },
  };
}
