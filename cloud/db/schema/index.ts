export * from './catalog.ts';
export * from './sales.ts';
export * from './sync.ts';
export * from './entries.ts';
export * from './auth.ts';
export * from './channels.ts';
export * from './faces.ts';
export * from './members.ts';
