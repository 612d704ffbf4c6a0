"""JavaScript that the browser tests run in a page (through Playwright's ``page.evaluate``),
shared by tests/test_inbox.py and tests/test_clients.py."""

#: WCAG 2 contrast of every visible text node against the background behind it, in the page.
CONTRAST_JS = """
() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((c) => {
    c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || +style.opacity === 0) continue;
    if (el.closest('.preheader')) continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))].sort((x, y) => y - x);
    found.push({text: node.textContent.trim().slice(0, 40), size: parseFloat(style.fontSize),
                ratio: (a + 0.05) / (b + 0.05), tag: el.tagName, color: style.color});
  }
  return found;
}
"""
