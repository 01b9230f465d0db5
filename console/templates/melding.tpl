{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} — KetenHub</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<header><span class="brand">KetenHub</span></header>
<main id="inhoud">
<h1>{{TITLE}}</h1>
<p>{{TEXT}}</p>
<p><a href="/">Naar het begin</a></p>
</main>
</body>
</html>
