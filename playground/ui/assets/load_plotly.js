// plotly.js, loaded once per page: by the live board, or earlier by the page's first element
// (style.inject_css) so the board finds it evaluated or on its way.
function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__playgroundPlotly) {
    window.__playgroundPlotly = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__playgroundPlotly = null; reject(new Error('could not load ' + src)); };
      document.head.appendChild(script);
    });
  }
  return window.__playgroundPlotly;
}
