/* portico app demo: asks /api/whoami twenty times to show the balancing,
 * makes an instance sick, and talks to the WebSocket echo. No framework. */
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };

  function status(id, text, ok) {
    var el = $(id);
    el.textContent = text;
    el.className = 'badge ' + (ok ? 'ok' : 'error');
  }

  function whoami() {
    return fetch('/api/whoami', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('GET /api/whoami \u2192 ' + res.status);
        return res.json();
      });
  }

  // ---- balancing: twenty requests one after the other, counted per instance
  $('spread-go').addEventListener('click', function () {
    var counts = {};
    var n = 0;
    function next() {
      if (n === 20) return Promise.resolve();
      n += 1;
      return whoami().then(function (me) {
        counts[me.instance] = (counts[me.instance] || 0) + 1;
        return next();
      });
    }
    status('spread-status', 'asking\u2026', true);
    next().then(function () {
      var list = $('spread');
      list.textContent = '';
      Object.keys(counts).sort().forEach(function (name) {
        var li = document.createElement('li');
        li.setAttribute('data-instance', name);
        li.textContent = name + ': ' + counts[name];
        list.appendChild(li);
      });
      status('spread-status', '20 answers', true);
    }, function (err) { status('spread-status', err.message, false); });
  });

  // ---- health: the form posts without JavaScript; with it, stay on the page
  $('sick-go').form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    fetch('/api/sick', { method: 'POST', headers: { Accept: 'application/json' } })
      .then(function (res) { return res.json(); })
      .then(function (r) {
        status('sick-status', r.instance + ' fails /healthz for ' + r.sick_for_s + ' s', true);
      }, function (err) { status('sick-status', err.message, false); });
  });

  // ---- WebSocket echo, through portico's tunnel
  var ws = null;
  var queue = [];

  function log(text, cls) {
    var li = document.createElement('li');
    li.className = cls;
    li.textContent = text;
    $('ws-log').prepend(li);
  }

  function connect() {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    ws = new WebSocket(url);
    ws.onopen = function () {
      status('ws-status', 'connected', true);
      queue.splice(0).forEach(function (m) { ws.send(m); });
    };
    ws.onmessage = function (ev) { log('\u2190 ' + ev.data, 'in'); };
    ws.onclose = function () { status('ws-status', 'closed', false); ws = null; };
  }

  $('ws-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = $('ws-input').value;
    log('\u2192 ' + text, 'out');
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
    else { queue.push(text); if (!ws) connect(); }
  });
})();
