// Case Assistant's page script, served from the app's own origin so that the page's
// Content-Security-Policy needs neither 'unsafe-inline' nor 'unsafe-eval' for it.
//
// - A click (or Enter) on a citation marker [n] shows its passage in the #passages panel
//   (on a phone, a bottom sheet with a close button); "Show in source" there opens the
//   Sources tab at that passage.
// - A new answer is scrolled so that its question stays at the top; it clears the panel of an
//   earlier answer's passage. Enter on a marker moves focus into the panel ("Show in source").
// - The chat's copy button copies an answer as plain text (its data-plain), not as HTML.
// - On a phone the page opens at its top, although the question box has autofocus.
// The HTML this works on is built by assistant/render.py.
(() => {
  if (window.__caseChat) return;
  window.__caseChat = true;

  // System fonts: Gradio's theme names Source Sans Pro, whose bundled SemiBold file holds only
  // "A" and "B"; case.css says the same, but Gradio adds it once the app is built.
  const fonts = document.createElement('style');
  fonts.id = 'case-fonts';
  fonts.textContent = ':root, :root.dark, :root .dark, .gradio-container { ' +
    '--font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", ' +
    '"Liberation Sans", "DejaVu Sans", Arial, sans-serif !important; ' +
    '--font-mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", ' +
    '"DejaVu Sans Mono", monospace !important; } body { font-family: var(--font); } ' +
    // Gradio scopes the app's style sheet to its container, which the page margins are outside.
    '@media (max-width: 640px) { .gradio-container > .main.app { padding-left: 12px !important; ' +
    'padding-right: 12px !important; } }';
  (document.head || document.documentElement).appendChild(fonts);

  const NARROW = '(max-width: 640px)';
  const narrow = () => window.matchMedia(NARROW).matches;
  const view = () => document.querySelector('#passages #passage-view');

  // ------------------------------------------------------------------ the passage panel

  function resetPanel() {
    const v = view();
    if (!v) return;
    v.className = 'empty';
    v.textContent = v.dataset.empty || '';
    delete v.dataset.n;
    delete v.dataset.turn;
    delete v.dataset.newest;
    document.querySelectorAll('a.cite.active').forEach((x) => x.classList.remove('active'));
  }

  function newestTurn() {
    const blocks = document.querySelectorAll('#chat .answer-block');
    return blocks.length ? blocks[blocks.length - 1].dataset.turn || '' : '';
  }

  function citationFor(a) {
    const sel = 'li.citation[data-turn="' + CSS.escape(a.dataset.turn || '') + '"][data-n="' +
      CSS.escape(a.dataset.n || '') + '"]';
    let box = a.parentElement, li = null;
    while (box && !(li = box.querySelector(sel))) box = box.parentElement;
    return li;
  }

  function showPassage(a, byKey) {
    const li = citationFor(a);
    const v = view();
    if (!li || !v) return;
    const full = li.querySelector('.full');
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'close-panel';
    close.setAttribute('aria-label', 'Close the passage');
    close.title = 'Close';
    close.textContent = '\u00d7';
    v.classList.remove('empty');
    v.classList.add('open');
    // The close button comes last in focus order (it is drawn at the top corner), so that a
    // reader tabbing in meets "Show in source" first.
    v.replaceChildren(...Array.from((full || li).cloneNode(true).childNodes), close);
    v.dataset.n = a.dataset.n;
    v.dataset.turn = a.dataset.turn;
    v.dataset.newest = newestTurn();
    document.querySelectorAll('a.cite.active').forEach((x) => x.classList.remove('active'));
    a.classList.add('active');
    if (!narrow()) v.scrollIntoView({block: 'nearest', behavior: 'smooth'});
    // The title's link repeats "Original" below: out of the tab order, "Show in source" first.
    v.querySelectorAll('a.title-link').forEach((x) => x.setAttribute('tabindex', '-1'));
    if (byKey) {
      const first = v.querySelector('a.show-source') || v.querySelector('a[href]:not([tabindex="-1"]), button');
      if (first) first.focus({preventScroll: !narrow()});
    }
  }

  // ------------------------------------------------------------------ show in source

  function sourcesTab() {
    const tabs = Array.from(document.querySelectorAll('button[role="tab"]'))
      .filter((b) => b.textContent.trim() === 'Sources');
    return tabs.find((b) => b.offsetParent !== null) || tabs[0] || null;
  }

  function showInSource(a) {
    const doc = a.dataset.doc || '', passage = a.dataset.passage || '';
    const tab = sourcesTab();
    if (tab) tab.click();
    if (narrow()) resetPanel(); // the sheet would cover the source
    let tries = 0;
    (function find() {
      const d = document.querySelector('#sources details[data-doc="' + CSS.escape(doc) + '"]');
      if (!d || d.offsetParent === null) {
        if (tries++ < 60) setTimeout(find, 50);
        return;
      }
      d.open = true;
      const p = (passage && d.querySelector('[data-passage="' + CSS.escape(passage) + '"]')) || d;
      document.querySelectorAll('#sources .target').forEach((x) => x.classList.remove('target'));
      p.classList.add('target');
      if (!p.hasAttribute('tabindex')) p.setAttribute('tabindex', '-1');
      p.focus({preventScroll: true});
      (p.querySelector('mark') || p).scrollIntoView({block: 'center'});
    })();
  }

  // ------------------------------------------------------------------ copy as plain text

  function messageRowOf(button) {
    let el = button.closest('.message-buttons') || button;
    while (el && el.id !== 'chat') {
      let row = el.previousElementSibling;
      while (row && !row.classList.contains('message-row')) row = row.previousElementSibling;
      if (row) return row;
      el = el.parentElement;
    }
    return null;
  }

  function plainOf(row) {
    const block = row.querySelector('.answer-block[data-plain]');
    if (block) return block.dataset.plain;
    const content = row.querySelector('.message-content') || row;
    return content.innerText.trim();
  }

  // Synchronously, within the click (no permission, no focus needed); else the async API.
  function copyText(text) {
    let done = false;
    const onCopy = (e) => {
      e.clipboardData.setData('text/plain', text);
      e.preventDefault();
      done = true;
    };
    document.addEventListener('copy', onCopy, true);
    try {
      document.execCommand('copy');
    } catch (e) { /* not supported: the async API below */ }
    document.removeEventListener('copy', onCopy, true);
    if (done) return Promise.resolve();
    return navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject(new Error('no clipboard'));
  }

  window.addEventListener('click', (ev) => {
    const t = ev.target;
    const button = t && t.closest && t.closest('#chat button[aria-label="Copy message"], #chat button[title="Copy message"]');
    if (!button) return;
    const row = messageRowOf(button);
    if (!row) return; // Gradio's own copy, then
    ev.preventDefault();
    ev.stopImmediatePropagation();
    copyText(plainOf(row)).then(() => {
      button.dataset.copied = '1';
      setTimeout(() => delete button.dataset.copied, 1500);
    }, () => {});
  }, true);

  // ------------------------------------------------------------------ clicks and keys

  document.addEventListener('click', (ev) => {
    const target = ev.target;
    if (!target || !target.closest) return;
    if (target.closest('#new-conversation')) {
      resetPanel();
      return;
    }
    if (target.closest('#passage-view .close-panel')) {
      resetPanel();
      return;
    }
    const src = target.closest('a.show-source');
    if (src) {
      ev.preventDefault();
      showInSource(src);
      return;
    }
    const a = target.closest('a.cite');
    if (!a) return;
    ev.preventDefault();
    showPassage(a, ev.detail === 0); // detail 0: Enter on a focused marker, not a pointer click
  });

  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    const v = view();
    if (v && !v.classList.contains('empty') && narrow()) resetPanel();
  });

  // ------------------------------------------------------------------ answer first

  // The nearest ancestor that scrolls, or null for the page itself.
  function scrollerOf(el) {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/(auto|scroll)/.test(s.overflowY) && p.scrollHeight > p.clientHeight + 1) return p;
    }
    return null;
  }

  // Scroll so that the message's first line shows, when it is above the visible area.
  function pinTop(row) {
    const box = scrollerOf(row);
    const top = row.getBoundingClientRect().top;
    if (box) {
      const d = top - box.getBoundingClientRect().top - 4;
      if (d < -1) box.scrollTop += d;
    } else if (top < 0) {
      ownScrollAt = Date.now();
      window.scrollBy(0, top - 8);
    }
  }

  const seen = new Map(); // turn -> when its finished answer was first seen
  const PIN_MS = 1500; // Gradio scrolls to the bottom ~300 ms after an update: outlast it

  function answerFirst() {
    const blocks = document.querySelectorAll('#chat .answer-block');
    if (!blocks.length) {
      seen.clear();
      return;
    }
    const block = blocks[blocks.length - 1];
    const row = block.closest('.message-row') || block;
    const turn = block.dataset.turn;
    if (block.dataset.final) {
      if (!seen.has(turn)) {
        seen.set(turn, Date.now());
        pinUntil = Date.now() + PIN_MS;
        // The panel belongs to the answer whose marker opened it: an answer newer than the
        // newest on the page when it opened clears it. (Not "any answer but its own": a marker
        // of an earlier answer clicked while the new one streams, or before this script has
        // seen it final, keeps its passage.)
        const v = view();
        if (v && v.dataset.turn && v.dataset.newest !== turn) resetPanel();
      }
      if (Date.now() - seen.get(turn) > PIN_MS) return; // the reader's scrolling is theirs
    }
    pinTop(questionOf(row) || row);
  }

  // The question a message answers: the user's message row just before it, kept at the top
  // so that a reader sees what was asked above its answer.
  function questionOf(row) {
    for (let r = row.previousElementSibling; r; r = r.previousElementSibling) {
      if (!r.classList.contains('message-row')) continue;
      return r.classList.contains('user-row') || r.querySelector('[data-testid="user"]') ? r : null;
    }
    return null;
  }
  let pinUntil = 0;
  let ownScrollAt = 0; // when pinTop last scrolled the page itself

  // The reader's own move ends the pin at once: a page scrolled back under the pointer would
  // turn a click on the thumbs into a click on whatever moved there.
  function release() {
    pinUntil = 0;
    seen.forEach((_, turn) => seen.set(turn, 0));
  }
  ['wheel', 'touchmove', 'keydown', 'pointerdown'].forEach((e) =>
    window.addEventListener(e, release, {capture: true, passive: true}));

  // Gradio's own scroll of the chat to its bottom, undone before it is painted. The page
  // scrolling is never Gradio's: unless pinTop just did it, it is the reader's (a scroll bar
  // dragged, a link followed) and ends the pin.
  document.addEventListener('scroll', (ev) => {
    if (ev.target === document) {
      if (Date.now() - ownScrollAt > 100) release();
      return;
    }
    if (Date.now() < pinUntil) answerFirst();
  }, true);

  // A screen reader reads a message's aria-label: Gradio puts the message's HTML there.
  function labelMessages() {
    document.querySelectorAll('#chat [data-testid="bot"]').forEach((m) => {
      const body = m.querySelector('.answer-block .answer, .answer-block .abstained');
      if (!body) return;
      const label = "bot's message: " + body.textContent.trim();
      if (m.getAttribute('aria-label') !== label) m.setAttribute('aria-label', label);
    });
  }

  // Focus follows what the eye sees: Gradio puts thumbs down before thumbs up in the page and
  // the style sheet draws them copy, up, down; Tab and Shift+Tab go in that drawn order.
  // (Moving Gradio's own buttons in the page would confuse its rendering.)
  const THUMBS = /^(Like|Liked|Dislike|Disliked)$/;
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab' || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const here = document.activeElement;
    if (!here || !here.closest || !here.closest('#chat')) return;
    const row = here.parentElement;
    if (!row) return;
    const buttons = Array.from(row.children).filter((b) => b.tagName === 'BUTTON');
    const up = buttons.find((b) => /^Liked?$/.test(b.getAttribute('aria-label') || ''));
    const down = buttons.find((b) => /^Disliked?$/.test(b.getAttribute('aria-label') || ''));
    if (!up || !down || buttons.indexOf(down) > buttons.indexOf(up)) return;
    const drawn = buttons.filter((b) => !THUMBS.test(b.getAttribute('aria-label') || '')).concat([up, down]);
    const at = drawn.indexOf(here);
    if (at < 0) return;
    const next = drawn[at + (ev.shiftKey ? -1 : 1)];
    if (next) {
      ev.preventDefault();
      next.focus();
    } else if (!ev.shiftKey) {
      up.focus(); // the last in the page: the browser's Tab goes on from there
    }
  }, true);

  let scheduled = false;
  function onChange() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      answerFirst();
      labelMessages();
    });
    [350, 700, 1100, 1600].forEach((ms) => setTimeout(answerFirst, ms));
  }

  // ------------------------------------------------------------------ a phone opens at its top

  let touched = false;
  ['pointerdown', 'keydown', 'wheel', 'touchstart', 'input'].forEach((e) =>
    window.addEventListener(e, () => { touched = true; }, {capture: true, passive: true, once: true}));

  function topOnPhone() {
    if (!narrow() || touched) return;
    const q = document.querySelector('#question textarea');
    if (q && document.activeElement === q) q.blur(); // no keyboard popping up over the page
    if (window.scrollY) window.scrollTo(0, 0);
  }

  function start() {
    new MutationObserver(onChange).observe(document.body, {childList: true, subtree: true});
    let n = 0;
    const again = setInterval(() => {
      topOnPhone();
      if (++n > 40 || touched) clearInterval(again);
    }, 100);
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
