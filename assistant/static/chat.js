// Case Assistant's page script, served from the app's own origin so that the page's
// Content-Security-Policy needs neither 'unsafe-inline' nor 'unsafe-eval' for it.
// A click on a citation marker [n] shows its passage in the #passages panel; "New
// conversation" empties the panel again.
(() => {
  if (window.__caseChat) return;
  window.__caseChat = true;

  function resetPanel() {
    const view = document.querySelector('#passages #passage-view');
    if (!view) return;
    view.className = 'empty';
    view.textContent = view.dataset.empty || '';
    delete view.dataset.n;
  }

  function showPassage(a) {
    let box = a.parentElement, li = null;
    const sel = 'li.citation[data-turn="' + a.dataset.turn + '"][data-n="' + a.dataset.n + '"]';
    while (box && !(li = box.querySelector(sel))) box = box.parentElement;
    const view = document.querySelector('#passages #passage-view');
    if (!li || !view) return;
    view.classList.remove('empty');
    view.replaceChildren(...Array.from(li.cloneNode(true).childNodes));
    view.dataset.n = a.dataset.n;
    document.querySelectorAll('a.cite.active').forEach((x) => x.classList.remove('active'));
    a.classList.add('active');
    view.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  }

  document.addEventListener('click', (ev) => {
    const target = ev.target;
    if (!target || !target.closest) return;
    if (target.closest('#new-conversation')) {
      resetPanel();
      return;
    }
    const a = target.closest('a.cite');
    if (!a) return;
    ev.preventDefault();
    showPassage(a);
  });
})();
