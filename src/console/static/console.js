// Live parts of the console: each element with data-live follows a server-sent event stream and
// takes the HTML the server renders for it. No framework: the server renders everything.
for (const el of document.querySelectorAll('[data-live]')) {
  const source = new EventSource(el.dataset.live);
  source.addEventListener('update', (event) => {
    el.innerHTML = event.data;
    el.dataset.updatedAt = String(Date.now());
  });
  source.addEventListener('banner', (event) => {
    const banner = document.getElementById('killswitch-banner');
    if (banner) banner.outerHTML = event.data;
  });
}
// Countdowns for expiries, re-computed every second from the datetime attribute.
setInterval(() => {
  for (const el of document.querySelectorAll('[data-countdown]')) {
    const left = Date.parse(el.dataset.countdown) - Date.now();
    el.textContent =
      left <= 0 ? 'expired' : `${Math.floor(left / 60000)} min ${Math.floor((left % 60000) / 1000)} s left`;
  }
}, 1000);
