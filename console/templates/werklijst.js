// The worklist hears from the console when the hub's stream moved, and
// offers to refresh (a notice, announced to screen readers; no reload
// under the user's hands). Served as /static/werklijst.js (CSP 'self').
const main = document.querySelector('main[data-generation]');
if (main && window.EventSource) {
  const source = new EventSource(
      '/werklijst/updates?na=' + encodeURIComponent(main.dataset.generation));
  source.addEventListener('werklijst', () => {
    document.getElementById('nieuw').hidden = false;
    source.close();
  });
}
