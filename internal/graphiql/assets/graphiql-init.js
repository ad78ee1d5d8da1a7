// Bootstraps GraphiQL for hesgql.
//
// This file is served from the same origin as the page so that the page's
// Content-Security-Policy can be "script-src 'self'" with no inline script.
// Its settings come from data-* attributes on the #graphiql element, which
// the server fills in when it renders the page.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  if (!root) {
    return;
  }

  var fetcher = GraphiQL.createFetcher({
    url: root.dataset.endpoint,
  });

  // Headers typed into the headers editor (for example
  // {"Authorization": "Bearer ..."}) are sent with every request. They are not
  // persisted to localStorage, so a token does not outlive the tab.
  var props = {
    fetcher: fetcher,
    defaultQuery: root.dataset.defaultQuery,
    // Development servers pre-fill a short-lived token here.
    defaultHeaders: root.dataset.defaultHeaders || undefined,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  };

  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
