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
<header>
  <a class="skip" href="#inhoud">Naar de inhoud</a>
  <span class="brand">KetenHub</span>
  <nav aria-label="Hoofdmenu"><a href="/werklijst">Werklijst</a> <a href="/cijfers" aria-current="page">Cijfers</a></nav>
  {{#SIGNED_IN}}
  <form class="signout" method="post" action="/afmelden">
    <span>{{NAME}} ({{FUNCTION}})</span>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <button type="submit">Afmelden</button>
  </form>
  {{/SIGNED_IN}}
</header>
<main id="inhoud">
<h1>Cijfers voor stuurgroep en raad</h1>
<p>Aantallen over de signalen die in de gekozen periode binnenkwamen. Niemand wordt genoemd: personen zijn geteld op pseudoniem, aantallen van 1 tot {{THRESHOLD_MINUS}} staan als &lt;{{THRESHOLD}}, en een x is verborgen zodat zo'n klein aantal niet uit een totaal valt af te leiden.</p>
<form class="filter" method="get" action="/cijfers">
  <label for="van">Van (eerste dag)</label>
  <input id="van" name="van" type="date" value="{{FROM}}" required>
  <label for="tot">Tot en met</label>
  <input id="tot" name="tot" type="date" value="{{TO}}" required>
  <label for="periode">Per periode</label>
  <select id="periode" name="periode">{{#PERIOD_OPTION}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/PERIOD_OPTION}}</select>
  <label for="per">Uitgesplitst naar</label>
  <select id="per" name="per">{{#BY_OPTION}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/BY_OPTION}}</select>
  <button type="submit">Toon</button>
</form>
{{#HAS_ERROR}}<p class="notice refused" role="status">{{ERROR}}</p>{{/HAS_ERROR}}
{{#FIGURES}}
<p><a href="/cijfers.csv?{{QUERY}}" download>Download als CSV</a> (voor een spreadsheet)</p>
<h2>Signalen per {{BY_WORD}}</h2>
<svg class="chart" role="img" aria-labelledby="grafiek-signalen" width="640" height="{{CHART_HEIGHT}}" viewBox="0 0 640 {{CHART_HEIGHT}}">
  <title id="grafiek-signalen">Signalen per {{BY_WORD}}, {{FROM}} tot en met {{TO}}; dezelfde aantallen staan in de tabel hieronder.</title>
  {{#BAR}}<text x="0" y="{{TEXT_Y}}" class="bar-label">{{LABEL}}</text><rect x="200" y="{{Y}}" width="{{WIDTH}}" height="20" class="bar"></rect><text x="{{VALUE_X}}" y="{{TEXT_Y}}" class="bar-value">{{VALUE}}</text>
  {{/BAR}}
</svg>
{{#HAS_OUTCOMES}}
<h2>Besluiten per uitkomst</h2>
<svg class="chart" role="img" aria-labelledby="grafiek-uitkomsten" width="640" height="{{OUTCOME_HEIGHT}}" viewBox="0 0 640 {{OUTCOME_HEIGHT}}">
  <title id="grafiek-uitkomsten">Besluiten per uitkomst, van ketenregisseur en zorgcoördinator samen; dezelfde aantallen staan in de tabel hieronder.</title>
  {{#OUTCOME_BAR}}<text x="0" y="{{TEXT_Y}}" class="bar-label">{{LABEL}}</text><rect x="200" y="{{Y}}" width="{{WIDTH}}" height="20" class="bar"></rect><text x="{{VALUE_X}}" y="{{TEXT_Y}}" class="bar-value">{{VALUE}}</text>
  {{/OUTCOME_BAR}}
</svg>
{{/HAS_OUTCOMES}}
<h2>Tabel</h2>
<div class="wide">
<table class="figures">
  <caption>Signalen ontvangen van {{FROM}} tot en met {{TO}} (UTC); elk cijfer gaat over die signalen.</caption>
  <thead><tr>{{#HEAD}}<th scope="col">{{TEXT}}</th>{{/HEAD}}</tr></thead>
  <tbody>
  {{#ROW}}<tr{{#TOTAL}} class="total"{{/TOTAL}}>{{#CELL}}<td>{{TEXT}}</td>{{/CELL}}</tr>
  {{/ROW}}
  </tbody>
</table>
</div>
{{/FIGURES}}
</main>
</body>
</html>
