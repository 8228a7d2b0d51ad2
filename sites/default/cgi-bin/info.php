#!/usr/bin/php-cgi
<?php
// Hello from php-cgi: a few request values and the PHP version.
header('Content-Type: text/html; charset=utf-8');

function e($s) { return htmlspecialchars((string)$s, ENT_QUOTES, 'UTF-8'); }

$keys = ['SERVER_SOFTWARE', 'GATEWAY_INTERFACE', 'SERVER_PROTOCOL', 'REQUEST_METHOD',
         'REQUEST_URI', 'SCRIPT_NAME', 'QUERY_STRING', 'REMOTE_ADDR', 'HTTP_USER_AGENT'];
?>
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from PHP</title></head>
<body>
<h1>Hello from PHP <?= e(PHP_VERSION) ?>!</h1>
<table>
<?php foreach ($keys as $k): ?>
<tr><th><?= e($k) ?></th><td><?= e($_SERVER[$k] ?? '') ?></td></tr>
<?php endforeach; ?>
</table>
<p><a href="/">Back</a></p>
</body>
</html>
