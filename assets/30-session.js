// When the session ends while a page is open (signed out elsewhere, account disabled or
// locked, lifetime over), the server answers callbacks with 401: go to the sign-in page
// and come back here afterwards, instead of leaving a page that silently stops updating.
(function () {
  const originalFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    return originalFetch(input, init).then(function (response) {
      const url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        const here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
