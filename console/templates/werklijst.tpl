{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} — KetenHub</title>
<link rel="stylesheet" href="/static/console.css">
<script src="/static/werklijst.js" defer></script>
</head>
<body>
<header>
  <a class="skip" href="#inhoud">Naar de inhoud</a>
  <span class="brand">KetenHub</span>
  <nav aria-label="Hoofdmenu"><a href="/werklijst" aria-current="page">Werklijst</a> <a href="/cijfers">Cijfers</a></nav>
  {{#SIGNED_IN}}
  <form class="signout" method="post" action="/afmelden">
    <span>{{NAME}} ({{FUNCTION}})</span>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <button type="submit">Afmelden</button>
  </form>
  {{/SIGNED_IN}}
</header>
<main id="inhoud" data-generation="{{GENERATION}}">
<h1>Werklijst {{WHOSE}}</h1>
<p id="nieuw" class="notice" role="status" hidden>Er is nieuws in de werklijst. <a href="/werklijst?{{QUERY}}">Vernieuwen</a></p>
{{#HAS_NOTICE}}<p class="notice" role="status">{{NOTICE}}</p>{{/HAS_NOTICE}}
<form class="filter" method="get" action="/werklijst">
  <label for="status">Status</label>
  <select id="status" name="status">
    {{#STATE}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/STATE}}
  </select>
  <label for="urgentie">Urgentie</label>
  <select id="urgentie" name="urgentie">
    {{#URGENCY_OPTION}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/URGENCY_OPTION}}
  </select>
  <label for="categorie">Categorie</label>
  <select id="categorie" name="categorie">
    {{#CATEGORY_OPTION}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/CATEGORY_OPTION}}
  </select>
  <label for="toegewezen">Toegewezen aan</label>
  <select id="toegewezen" name="toegewezen">
    {{#ASSIGNEE_OPTION}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/ASSIGNEE_OPTION}}
  </select>
  <button type="submit">Toon</button>
</form>
{{#EMPTY}}<p>Er staan geen signalen in deze lijst.</p>{{/EMPTY}}
<table>
  <caption>{{SHOWN}} van {{TOTAL}} signalen. Meest urgent eerst; signalen over dezelfde persoon staan bij elkaar en hebben hetzelfde nummer.</caption>
  <thead>
    <tr><th scope="col">Persoon</th><th scope="col">Status</th><th scope="col">Urgentie</th><th scope="col">Categorie</th><th scope="col">Ontvangen</th><th scope="col">Van</th><th scope="col">Toegewezen aan</th><th scope="col">Signaal</th><th scope="col"><span class="visually-hidden">Actie</span></th></tr>
  </thead>
  <tbody>
  {{#ITEM}}
    <tr>
      <td><a href="/persoon/{{SIGNAL}}" aria-label="Tijdlijn van persoon {{PERSON}}">{{PERSON}}</a>{{#MATCH}} <span class="match">{{MATCHES}} signalen over deze persoon</span>{{/MATCH}}</td>
      <td>{{STATE}}{{#WITHDRAWN}} <span class="withdrawn">ingetrokken door de bron</span>{{/WITHDRAWN}}{{#HANDED_OVER}} <span class="handed">{{HAND_OVER}}</span>{{/HANDED_OVER}}{{#POSSIBLE}} <a class="possible" href="/mogelijke-match/{{SIGNAL}}/{{OTHER}}">mogelijke match ({{KINDS}}) met {{OTHER_SOURCE}}</a>{{/POSSIBLE}}</td>
      <td class="{{URGENCY_CLASS}}">{{URGENCY}}</td>
      <td>{{CATEGORY}}</td>
      <td>{{RECEIVED}}</td>
      <td>{{SOURCE}}</td>
      <td>{{ASSIGNEE}}</td>
      <td><a href="/signaal/{{SIGNAL}}"><code>{{SIGNAL}}</code></a></td>
      <td>{{#CAN_ASSIGN}}<form class="assign" method="post" action="/werklijst/toewijzen"><input type="hidden" name="csrf" value="{{CSRF}}"><input type="hidden" name="signaal" value="{{SIGNAL}}"><label class="visually-hidden" for="aan-{{SIGNAL}}">Toewijzen aan</label><select id="aan-{{SIGNAL}}" name="aan">{{#TO}}<option value="{{VALUE}}">{{LABEL}}</option>{{/TO}}</select><button type="submit">Toewijzen</button></form>{{/CAN_ASSIGN}}</td>
    </tr>
  {{/ITEM}}
  </tbody>
</table>
</main>
</body>
</html>
