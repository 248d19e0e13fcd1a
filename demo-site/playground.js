// The theme playground: every theme token as a control, the real widget in a preview frame
// following them live (ChatWidget('setTheme', ...)), and the snippet that gives the same widget.
(function () {
  'use strict';
  // The widget's own defaults (widget/src/theme.rs): tokens equal to these stay out of the snippet.
  var DEFAULTS = { primary: '#1456f0', position: 'right', offsetX: 20, offsetY: 20, shape: 'circle', icon: 'chat', label: '', title: '', dark: false, sound: false };
  var SWATCHES = ['#1456f0', '#00b96b', '#f5222d', '#fa8c16', '#ffcc00', '#722ed1', '#1f2329'];
  var form = document.querySelector('form[data-slot=controls]');
  var preview = document.querySelector('[data-testid=pg-preview]');
  var attrsBox = document.querySelector('[data-testid=pg-snippet-attrs]');
  var jsBox = document.querySelector('[data-testid=pg-snippet-js]');
  var copied = document.querySelector('[data-testid=pg-copied]');
  var origin = location.origin;
  var loadedLocale = null;

  form.iconUrl.value = origin + '/icon-bubble.svg';

  /** `#rgb` or `#rrggbb` as lower-case `#rrggbb`, else null (the widget's rule). */
  function hex(text) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(text.trim());
    if (!m) return null;
    var d = m[1].toLowerCase();
    return '#' + (d.length === 3 ? d.replace(/./g, '$&$&') : d);
  }

  function radio(name) {
    var checked = form.querySelector('input[name=' + name + ']:checked');
    return checked ? checked.value : '';
  }

  /** The custom icon URL; the widget takes http(s) images only (else its default icon). */
  function customIcon() {
    var url = form.iconUrl.value.trim();
    return /^https?:\/\/\S+$/.test(url) ? url : DEFAULTS.icon;
  }

  /** Every token, as the controls say. */
  function tokens() {
    var dark = radio('dark');
    return {
      primary: hex(form.primary.value) || DEFAULTS.primary,
      position: radio('position'),
      offsetX: Number(form.offsetX.value),
      offsetY: Number(form.offsetY.value),
      shape: radio('shape'),
      icon: radio('icon') === 'custom' ? customIcon() : radio('icon'),
      label: form.label.value,
      title: form.title.value,
      dark: dark === 'auto' ? 'auto' : dark === 'true',
      sound: form.sound.checked,
    };
  }

  /** Only the tokens that differ from the widget's defaults. */
  function changed(t) {
    var out = {};
    Object.keys(DEFAULTS).forEach(function (k) {
      if (t[k] !== DEFAULTS[k]) out[k] = t[k];
    });
    return out;
  }

  function attr(text) {
    return text.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;');
  }

  function snippets(t, locale) {
    var theme = changed(t);
    var has = Object.keys(theme).length > 0;
    var json = JSON.stringify(theme);
    var tag = '<script src="' + origin + '/w.js" data-site="demo" data-locale="' + locale + '"';
    return {
      attrs: tag + (has ? " data-theme='" + attr(json) + "'" : '') + ' async></script>',
      js: '<script>\n' +
        '  window.ChatWidget = window.ChatWidget || function(){(ChatWidget.q=ChatWidget.q||[]).push(arguments)};\n' +
        (has ? "  ChatWidget('setTheme', " + json.replace(/</g, '\\u003c') + ');\n' : '') +
        '</script>\n' + tag + ' async></script>',
    };
  }

  function previewUrl(t, locale) {
    return '/preview?' + new URLSearchParams({ locale: locale, theme: JSON.stringify(t) });
  }

  function update() {
    var t = tokens();
    var locale = radio('locale');
    if (document.activeElement !== form.primaryHex) form.primaryHex.value = t.primary;
    form.iconUrl.disabled = radio('icon') !== 'custom';
    document.querySelector('[data-slot=ox]').textContent = t.offsetX + 'px';
    document.querySelector('[data-slot=oy]').textContent = t.offsetY + 'px';
    if (locale !== loadedLocale) {
      // The locale is read once, from data-locale: load the preview again with it.
      loadedLocale = locale;
      preview.src = previewUrl(t, locale);
    } else if (preview.contentWindow && preview.contentWindow.ChatWidget) {
      preview.contentWindow.ChatWidget('setTheme', t);
    }
    var s = snippets(t, locale);
    attrsBox.value = s.attrs;
    jsBox.value = s.js;
    copied.textContent = '';
  }

  SWATCHES.forEach(function (c) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn small';
    b.style.cssText = 'min-height:24px;width:24px;padding:0;border-radius:50%;background:' + c;
    b.setAttribute('aria-label', c);
    b.addEventListener('click', function () { form.primary.value = c; form.primaryHex.value = c; update(); });
    document.querySelector('[data-slot=swatches]').appendChild(b);
  });

  form.addEventListener('input', function (e) {
    if (e.target === form.primaryHex) {
      var h = hex(form.primaryHex.value);
      if (!h) return;
      form.primary.value = h;
    }
    update();
  });
  form.addEventListener('change', update);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  document.querySelector('[data-slot=reset]').addEventListener('click', function () {
    var locale = radio('locale');
    form.reset();
    form.iconUrl.value = origin + '/icon-bubble.svg';
    form.querySelector('input[name=locale][value="' + locale + '"]').checked = true;
    update();
  });

  Array.prototype.forEach.call(document.querySelectorAll('[data-device]'), function (b) {
    b.addEventListener('click', function () {
      Array.prototype.forEach.call(document.querySelectorAll('[data-device]'), function (o) { o.setAttribute('aria-pressed', String(o === b)); });
      preview.className = 'device ' + b.getAttribute('data-device');
    });
  });
  document.querySelector('[data-testid=pg-open]').addEventListener('click', function () {
    if (preview.contentWindow && preview.contentWindow.ChatWidget) preview.contentWindow.ChatWidget('toggle');
  });

  Array.prototype.forEach.call(document.querySelectorAll('[data-copy]'), function (b) {
    b.addEventListener('click', function () {
      var box = b.getAttribute('data-copy') === 'js' ? jsBox : attrsBox;
      var done = function () { copied.textContent = '已复制 Copied'; };
      var fallback = function () { box.select(); document.execCommand('copy'); done(); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(box.value).then(done, fallback);
      else fallback();
    });
  });

  // A control changed while the preview was loading: the fresh page gets the current theme.
  preview.addEventListener('load', function () {
    if (preview.contentWindow && preview.contentWindow.ChatWidget) preview.contentWindow.ChatWidget('setTheme', tokens());
  });

  update();
})();
