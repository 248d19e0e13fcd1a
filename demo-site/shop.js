// The demo shop's own script (what a site owner's front end would do around the snippet):
// products and orders, the fake login, and the ChatWidget calls (identify, setCards, openEntry).
// Load it before the snippet: it defines the ChatWidget queue, so every call made before the
// loader has arrived is kept.
(function () {
  'use strict';
  window.ChatWidget = window.ChatWidget || function () { (ChatWidget.q = ChatWidget.q || []).push(arguments); };

  var origin = location.origin;
  var PRODUCTS = [
    { id: 'earbuds', name: '无线降噪耳机 Air Pro', price: '¥399.00', image: '/p-earbuds.svg', text: '主动降噪，单次续航 8 小时，支持无线充电。' },
    { id: 'watch', name: '智能运动手表 S3', price: '¥1299.00', image: '/p-watch.svg', text: '心率、血氧、睡眠监测，50 米防水，两周续航。' },
    { id: 'backpack', name: '通勤双肩背包 15.6"', price: '¥259.00', image: '/p-backpack.svg', text: '防泼水面料，独立电脑仓，侧开拉链快速取物。' },
    { id: 'mug', name: '316 不锈钢保温杯 500ml', price: '¥89.00', image: '/p-mug.svg', text: '12 小时保温，一键开盖，可拆洗密封圈。' },
  ];
  var ORDERS = [
    { id: 'DS20260418001', product: 'earbuds', status: '已发货', date: '2026-04-18' },
    { id: 'DS20260402017', product: 'watch', status: '已签收', date: '2026-04-02' },
    { id: 'DS20260321008', product: 'mug', status: '待付款', date: '2026-03-21' },
  ];
  var USER_KEY = 'demo-shop-user';

  function product(id) {
    return PRODUCTS.filter(function (p) { return p.id === id; })[0];
  }

  /** The logged-in shopper ({full_name, phone, format}), or null. */
  function user() {
    try {
      var u = JSON.parse(localStorage.getItem(USER_KEY) || 'null');
      return u && u.full_name && u.phone ? u : null;
    } catch (e) {
      return null;
    }
  }

  /**
   * Asks the demo "server" for an identity token, as a site owner's back end would make it:
   * AES-256-GCM (v2) or AES/ECB hex of {full_name, phone, exp} with the demo site's key.
   */
  function mintToken(u) {
    return fetch('/api/v1/sites/demo/demo-identity', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ full_name: u.full_name, phone: u.phone, format: u.format || 'v2' }),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error((body.error && body.error.code) || String(res.status));
        return body;
      });
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  /** The header's login corner. */
  function renderWho(u) {
    var slot = document.querySelector('[data-slot=who]');
    if (!slot) return;
    slot.textContent = '';
    if (u) {
      slot.appendChild(el('span', { 'data-testid': 'user-name', text: '您好，' + u.full_name }));
      var out = el('button', { type: 'button', class: 'btn small', 'data-testid': 'logout', text: '退出' });
      out.addEventListener('click', function () {
        localStorage.removeItem(USER_KEY);
        // The widget forgets the verified chat before the page leaves (at most a second's wait).
        var leave = function () { location.href = '/'; };
        window.ChatWidget('on', 'logout', leave);
        window.ChatWidget('logout');
        setTimeout(leave, 1000);
      });
      slot.appendChild(out);
    } else {
      slot.appendChild(el('a', { class: 'btn small', href: '/login?next=' + encodeURIComponent(location.pathname + location.search), 'data-testid': 'login-link', text: '登录' }));
    }
  }

  function renderProducts() {
    var grid = document.querySelector('[data-slot=products]');
    if (!grid) return;
    PRODUCTS.forEach(function (p) {
      grid.appendChild(el('a', { class: 'product', href: '/product?id=' + p.id, 'data-testid': 'product' }, [
        el('img', { src: p.image, alt: p.name, width: '300', height: '225' }),
        el('div', { class: 'body' }, [el('h3', { text: p.name }), el('div', { class: 'price', text: p.price })]),
      ]));
    });
  }

  function renderProduct() {
    var box = document.querySelector('[data-slot=product]');
    if (!box) return;
    var p = product(new URLSearchParams(location.search).get('id')) || PRODUCTS[0];
    document.title = p.name + ' · 演示商城';
    box.querySelector('img').src = p.image;
    box.querySelector('img').alt = p.name;
    box.querySelector('h1').textContent = p.name;
    box.querySelector('.price').textContent = p.price;
    box.querySelector('[data-slot=text]').textContent = p.text;
    // Shown to the agent next to the conversation; never trusted for identity.
    ChatWidget('setCustomField', { product: p.name });
    Array.prototype.forEach.call(box.querySelectorAll('[data-entry]'), function (button) {
      button.addEventListener('click', function () { ChatWidget('openEntry', button.getAttribute('data-entry')); });
    });
  }

  /** The orders as quick-send cards: http(s) links only, as the widget requires. */
  function orderCards() {
    return ORDERS.map(function (o) {
      var p = product(o.product);
      return { id: o.id, title: p.name, image: origin + p.image, price: p.price, status: o.status, url: origin + '/orders#' + o.id };
    });
  }

  function renderOrders(u) {
    var box = document.querySelector('[data-slot=orders]');
    if (!box) return;
    if (!u) {
      box.appendChild(el('p', {}, [
        document.createTextNode('请先 '),
        el('a', { href: '/login?next=%2Forders', 'data-testid': 'orders-login', text: '登录' }),
        document.createTextNode(' 查看订单。登录后，客服窗口里会出现“我的订单”按钮，可以把订单直接发给客服。'),
      ]));
      return;
    }
    var rows = ORDERS.map(function (o) {
      var p = product(o.product);
      return el('tr', { id: o.id, 'data-testid': 'order' }, [
        el('td', {}, [el('img', { src: p.image, alt: '' })]),
        el('td', {}, [el('div', { text: p.name }), el('small', { class: 'muted', text: '订单号 ' + o.id + ' · ' + o.date })]),
        el('td', { class: 'price', text: p.price }),
        el('td', {}, [el('span', { class: 'status', text: o.status })]),
      ]);
    });
    box.appendChild(el('table', { class: 'orders' }, [
      el('thead', {}, [el('tr', {}, ['', '商品', '金额', '状态'].map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', {}, rows),
    ]));
    ChatWidget('setCards', 'orders', orderCards());
  }

  function showToken(info) {
    var slot = document.querySelector('[data-slot=token]');
    if (!slot) return;
    slot.hidden = false;
    slot.querySelector('[data-testid=identity-token]').textContent = info.token;
    slot.querySelector('[data-slot=format]').textContent = info.format === 'v2' ? 'v2 (AES-256-GCM)' : 'ECB (AES/ECB/PKCS5Padding, hex)';
  }

  // Where the login may send the shopper: a page of this shop, as the browser resolves it (so `//host`,
  // `/\\host`, a tab inside the slashes, `/.//host` and `javascript:` all land on the orders page).
  function sameOrigin(next) {
    try {
      var url = new URL(next || '/orders', location.href);
      if (url.origin === location.origin) return url.href;
    } catch (e) { /* not a URL at all */ }
    return '/orders';
  }

  function loginForm() {
    var form = document.querySelector('form[data-slot=login]');
    if (!form) return;
    var error = form.querySelector('[data-slot=error]');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var u = { full_name: form.full_name.value.trim(), phone: form.phone.value.trim(), format: form.format.value };
      error.textContent = '';
      mintToken(u).then(function () {
        localStorage.setItem(USER_KEY, JSON.stringify(u));
        location.href = sameOrigin(new URLSearchParams(location.search).get('next'));
      }, function (err) {
        error.textContent = err.message === 'not_found'
          ? '演示登录未开启：请用 cargo xtask dev 启动（它为 demo 站点打开 DEMO_IDENTITY）。'
          : '登录失败：' + err.message;
      });
    });
  }

  var u = user();
  renderWho(u);
  renderProducts();
  renderProduct();
  renderOrders(u);
  loginForm();
  if (u) {
    // A fresh token on every page, as a site owner's server prints one per render.
    mintToken(u).then(function (info) {
      ChatWidget('identify', info.token);
      showToken(info);
    }, function (err) {
      if (window.console) console.warn('demo identity failed:', err.message);
    });
  }
})();
