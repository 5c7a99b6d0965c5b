// The handheld's service worker: the page and its assets come from the cache first, so the
// validator opens with no network after its first visit; the API always goes to the network
// (the validator's own IndexedDB is its offline copy of the data, not this cache).
const CACHE = 'tk-handheld-v1';
const SHELL = ['./handheld.html', './handheld.webmanifest', './handheld-icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      // Network first while online (a new build shows at once), the cache when it is not.
      const res = await fetch(event.request);
      if (res.ok) await cache.put(event.request, res.clone());
      return res;
    } catch {
      const hit = await cache.match(event.request, { ignoreSearch: true });
      if (hit) return hit;
      throw new Error('offline and not cached');
    }
  })());
});
