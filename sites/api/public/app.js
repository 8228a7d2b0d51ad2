/* portico api demo: calls the CGI endpoints with fetch and shows the JSON
 * they return. No framework, no build step. */
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var pending = 3; // the three first loads; then <body data-ready="yes">

  function loaded() {
    pending -= 1;
    if (pending === 0) {
      document.body.setAttribute('data-ready', 'yes');
      $('ready-note').textContent = 'all endpoints answered';
    }
  }

  /* fetch + JSON + timing. Resolves to {status, ok, ms, data}; data is
   * null when the body is not JSON (e.g. portico's own 413 or 504 page). */
  function call(method, url, body) {
    var opts = { method: method, cache: 'no-store', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    var t0 = performance.now();
    return fetch(url, opts).then(function (res) {
      var type = res.headers.get('Content-Type') || '';
      var read = type.indexOf('application/json') === 0 ? res.json() : Promise.resolve(null);
      return read.then(function (data) {
        return { status: res.status, ok: res.ok, ms: Math.round(performance.now() - t0), data: data };
      });
    });
  }

  function badge(id, r, method, url) {
    var el = $(id);
    el.textContent = method + ' ' + url + ' \u2192 ' + r.status + ' in ' + r.ms + ' ms';
    el.className = 'badge ' + (r.ok ? 'ok' : 'error');
  }

  function failed(id, err) {
    var el = $(id);
    el.textContent = 'request failed: ' + (err && err.message ? err.message : err);
    el.className = 'badge error';
  }

  // ---- time.py
  function loadTime() {
    return call('GET', '/cgi-bin/time.py').then(function (r) {
      badge('time-status', r, 'GET', '/cgi-bin/time.py');
      if (r.data) {
        $('time-now').textContent = r.data.now;
        $('time-local').textContent = 'Local time on the server: ' + r.data.local + ' \u00b7 ' + r.data.server;
      }
    }, function (err) { failed('time-status', err); });
  }
  $('time-refresh').addEventListener('click', loadTime);

  // ---- echo.py
  function echo(method, message) {
    var url = '/cgi-bin/echo.py';
    var p = method === 'GET'
      ? call('GET', url + '?message=' + encodeURIComponent(message) + '&from=app.js')
      : call('POST', url, { message: message, sent: new Date().toISOString() });
    return p.then(function (r) {
      badge('echo-status', r, method, url);
      $('echo-result').textContent = r.data ? JSON.stringify(r.data, null, 2) : '(not JSON: HTTP ' + r.status + ')';
    }, function (err) { failed('echo-status', err); });
  }
  var echoMethod = 'GET';
  $('echo-form').addEventListener('click', function (ev) {
    if (ev.target.getAttribute && ev.target.getAttribute('data-method')) echoMethod = ev.target.getAttribute('data-method');
  });
  $('echo-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    echo(echoMethod, $('echo-input').value);
  });

  // ---- notes.py
  function renderNotes(notes) {
    var list = $('notes-list');
    list.textContent = '';
    if (!notes.length) {
      var li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No notes yet. Add the first one above.';
      list.appendChild(li);
      return;
    }
    notes.slice().reverse().forEach(function (n) {
      var li = document.createElement('li');
      var text = document.createElement('span');
      text.textContent = n.text;
      var when = document.createElement('time');
      when.dateTime = n.created;
      when.textContent = '#' + n.id + ' \u00b7 ' + new Date(n.created).toLocaleString();
      li.appendChild(text);
      li.appendChild(when);
      list.appendChild(li);
    });
  }
  function loadNotes(quiet) {
    return call('GET', '/cgi-bin/notes.py').then(function (r) {
      if (!quiet || !r.ok) badge('notes-status', r, 'GET', '/cgi-bin/notes.py');
      if (r.data && r.data.notes) renderNotes(r.data.notes);
      else $('notes-list').innerHTML = '<li class="empty">Could not load the notes.</li>';
    }, function (err) { failed('notes-status', err); });
  }
  $('notes-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('notes-input');
    call('POST', '/cgi-bin/notes.py', { text: input.value }).then(function (r) {
      badge('notes-status', r, 'POST', '/cgi-bin/notes.py');
      if (r.ok) {
        input.value = '';
        return loadNotes(true);
      }
      $('notes-status').textContent += r.data && r.data.error ? ': ' + r.data.error : '';
    }, function (err) { failed('notes-status', err); });
  });

  loadTime().then(loaded);
  echo('GET', $('echo-input').value).then(loaded);
  loadNotes().then(loaded);
}());
