import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { SCREENS } from './menu.ts';
import { onSessionEnd, restore } from './session.ts';
import Login from './views/Login.vue';
import Shell from './views/Shell.vue';

const routes: RouteRecordRaw[] = [
  { path: '/login', component: Login, meta: { public: true } },
  {
    path: '/',
    component: Shell,
    children: [
      { path: '', component: () => import('./views/Home.vue') },
      ...SCREENS.map((i) => ({ path: i.path.slice(1), component: i.component, meta: { item: i } })),
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

// Hash routes: the app is static files, served alike by HQ and by a site hub.
export const router = createRouter({ history: createWebHashHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!(await restore())) return { path: '/login', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
  return true;
});

onSessionEnd(() => {
  const next = router.currentRoute.value.fullPath;
  void router.push({ path: '/login', query: next && next !== '/login' && next !== '/' ? { next } : {} });
});
