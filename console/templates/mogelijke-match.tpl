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
  <nav aria-label="Hoofdmenu"><a href="/werklijst">Werklijst</a> <a href="/cijfers">Cijfers</a></nav>
  {{#SIGNED_IN}}
  <form class="signout" method="post" action="/afmelden">
    <span>{{NAME}} ({{FUNCTION}})</span>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <button type="submit">Afmelden</button>
  </form>
  {{/SIGNED_IN}}
</header>
<main id="inhoud">
<h1>Mogelijke match</h1>
{{#HAS_NOTICE}}<p class="notice refused" role="status">{{NOTICE}}</p>{{/HAS_NOTICE}}
<p>Deze twee signalen delen een zwak kenmerk (een telefoonnummer, e-mailadres, adres, alias of advertentie). Dat kan dezelfde persoon zijn, maar ook niet: een telefoon wordt gedeeld, een alias is niet uniek. Vergelijk en beoordeel.</p>
<div class="sides">
{{#SIDE}}
<section class="side" aria-labelledby="kop-{{SIGNAL}}">
  <h2 id="kop-{{SIGNAL}}">Signaal van {{SOURCE}}</h2>
  <dl class="facts">
    <dt>Ontvangen</dt><dd>{{RECEIVED}}</dd>
    <dt>Categorie</dt><dd>{{CATEGORY}}</dd>
    <dt>Betrokkene</dt><dd>{{SUBJECT}}</dd>
    {{#IDENTIFIER}}<dt>Kenmerk</dt><dd>{{TEXT}}</dd>{{/IDENTIFIER}}
    <dt>Signaal</dt><dd><a href="/signaal/{{SIGNAL}}"><code>{{SIGNAL}}</code></a></dd>
  </dl>
  <p class="summary">{{SUMMARY}}</p>
</section>
{{/SIDE}}
</div>
<h2>Beoordeling</h2>
<form class="decide" method="post" action="/mogelijke-match/{{SIGNAL}}/{{OTHER}}">
  <input type="hidden" name="csrf" value="{{CSRF}}">
  <label for="reden">Reden (blijft bij de signalen, niet in het logboek)</label>
  <textarea id="reden" name="reden" required maxlength="500"></textarea>
  <fieldset>
    <legend>Gaan deze signalen over één persoon?</legend>
    <button type="submit" name="besluit" value="bevestigen">Eén persoon: bevestigen</button>
    <button type="submit" name="besluit" value="afwijzen">Niet dezelfde persoon: afwijzen</button>
  </fieldset>
</form>
</main>
</body>
</html>
