// The embed loader (/w.js): guards double init, creates the widget iframe pinned to the corner,
// sizes it, and forwards the queued window.ChatWidget API as one namespaced postMessage protocol.
// Plain JS, minified at build time; it must stay under 2 KB gzip.
(function () {
  var w = window, d = document, de = d.documentElement;
  if (w.__chatWidget) return;
  var s = d.currentScript || d.querySelector('script[data-site][src*="/w.js"]');
  if (!s) return;
  w.__chatWidget = 1;
  var NS = 'chatwidget';
  var origin = new URL(s.src, location.href).origin;
  var ds = s.dataset;
  var queued = (w.ChatWidget && w.ChatWidget.q) || [];
  var handlers = {};
  var ready = 0, isOpen = 0, outbox = [], layout, box = { w: 92, h: 92, left: 0 }, overflow;
  var vv = w.visualViewport;
  var frame = d.createElement('iframe');
  var q = new URLSearchParams({ site: ds.site || '', host: location.origin, locale: ds.locale || navigator.language || '' });
  if (ds.theme) q.set('theme', ds.theme);
  if (ds.entry) q.set('entry', ds.entry);
  if (ds.plugin) q.set('plugin', ds.plugin);
  frame.src = origin + '/widget/?' + q;
  frame.title = 'Chat';
  frame.setAttribute('data-testid', 'cw-frame');
  frame.setAttribute('allow', 'clipboard-write; autoplay');
  var base = 'position:fixed;bottom:0;border:0;z-index:2147483000;background:transparent;color-scheme:normal;max-width:100%;';
  function size() {
    var narrow = w.innerWidth <= 480, full = isOpen && narrow;
    // The widget cannot see the host's viewport from inside its iframe: tell it.
    if (layout !== narrow) { layout = narrow; post({ type: 'cmd', cmd: 'layout', args: [narrow ? 'narrow' : 'wide'] }); }
    frame.style.cssText = base + (box.left ? 'left:0;' : 'right:0;') + (full
      // Full screen above the on-screen keyboard: follow the visual viewport.
      ? 'width:100%;height:' + (vv ? vv.height + 'px;top:' + vv.offsetTop + 'px' : '100%') + ';'
      : isOpen ? 'width:' + (box.ow || 420) + 'px;height:min(720px,100%);' : 'width:' + box.w + 'px;height:' + box.h + 'px;');
    // Lock the page behind a full-screen chat so it does not scroll under the visitor's finger.
    if (full && overflow == null) { overflow = de.style.overflow; de.style.overflow = 'hidden'; }
    if (!full && overflow != null) { de.style.overflow = overflow; overflow = null; }
  }
  size();
  w.addEventListener('resize', size);
  if (vv) vv.addEventListener('resize', size);
  function post(m) {
    m.ns = NS;
    if (ready) frame.contentWindow.postMessage(m, origin); else outbox.push(m);
  }
  function emit(name, data) {
    (handlers[name] || []).forEach(function (fn) { try { fn(data); } catch (e) { setTimeout(function () { throw e; }); } });
  }
  function page() { post({ type: 'cmd', cmd: 'page', args: [{ url: location.href, title: d.title }] }); }
  w.addEventListener('message', function (e) {
    var m = e.data;
    if (e.origin !== origin || e.source !== frame.contentWindow || !m || m.ns !== NS) return;
    if (m.type === 'ready') {
      ready = 1;
      // First the page and the snippet's own settings, then the calls queued before the widget was ready.
      outbox.unshift({ ns: NS, type: 'cmd', cmd: 'init', args: [{ identity: ds.identity || null }] });
      page();
      outbox.splice(0).forEach(post);
      emit('ready', {});
    } else if (m.type === 'resize') {
      isOpen = !!m.open;
      if (m.w) box = m;
      size();
    } else if (m.type === 'event') {
      emit(m.name, m.data);
    }
  });
  function api(cmd) {
    var args = [].slice.call(arguments, 1);
    if (cmd === 'on') {
      if (typeof args[1] === 'function') (handlers[args[0]] = handlers[args[0]] || []).push(args[1]);
      return;
    }
    try { post({ type: 'cmd', cmd: String(cmd), args: JSON.parse(JSON.stringify(args)) }); } catch (e) { emit('error', { code: 'bad_call' }); }
  }
  w.ChatWidget = api;
  queued.forEach(function (a) { api.apply(null, a); });
  // Single-page apps: report navigation, and put the widget back if a re-render removed it.
  ['pushState', 'replaceState'].forEach(function (k) {
    var orig = history[k];
    history[k] = function () { var r = orig.apply(this, arguments); setTimeout(page); return r; };
  });
  w.addEventListener('popstate', page);
  function mount() {
    d.body.appendChild(frame);
    new MutationObserver(function () { if (!frame.isConnected && d.body) d.body.appendChild(frame); }).observe(de, { childList: true, subtree: true });
  }
  if (d.body) mount(); else d.addEventListener('DOMContentLoaded', mount);
})();
