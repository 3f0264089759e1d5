// fail.mjs — shows on the page itself why a demo could not start (an engine
// without JSPI for a JSPI build, a module that failed to load): the reason
// in a box at the top, "failed" where the page said "loading…", and every
// control disabled, instead of a page that looks alive and does nothing.
export function showFailure(e) {
  const box = document.createElement('p');
  box.className = 'load-error';
  box.setAttribute('role', 'alert');
  box.textContent = `This demo could not start: ${(e && e.message) || e}`;
  (document.querySelector('main') || document.body).prepend(box);
  const status = document.getElementById('status');
  if (status) status.textContent = 'failed to load';
  for (const c of document.querySelectorAll('button, input, select, textarea')) c.disabled = true;
}

/** load(...)'s promise, shown on the page if it rejects (then still rejected). */
export function loadOrShow(promise) {
  return promise.catch((e) => {
    showFailure(e);
    throw e;
  });
}
