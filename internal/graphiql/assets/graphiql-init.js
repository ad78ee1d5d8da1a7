// Bootstraps GraphiQL for hesgql.
//
// This file is served from the same origin as the page so that the page's
// Content-Security-Policy can be "script-src 'self'" with no inline script.
// Its settings come from data-* attributes on the #graphiql element, which
// the server fills in when it renders the page: the endpoint, the default
// query and headers (in development a token minted for this page view), the
// example operations and the documentation link.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  if (!root) {
    return;
  }
  var h = React.createElement;
  var useEditorContext = GraphiQL.React.useEditorContext;

  var endpoint = root.dataset.endpoint;
  var examples = [];
  try {
    examples = JSON.parse(root.dataset.examples || '[]');
  } catch (e) {
    console.warn('hesgql: examples do not parse', e);
  }
  var docsURL = root.dataset.docsUrl || '';

  var fetcher = GraphiQL.createFetcher({ url: endpoint });

  // headersObject returns the headers editor's JSON as an object, or {} when
  // it is empty or not (yet) valid JSON.
  function headersObject(editor) {
    var text = editor ? editor.getValue() : root.dataset.defaultHeaders;
    if (!text || !text.trim()) {
      return {};
    }
    try {
      var v = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    } catch (e) {
      return {};
    }
  }

  // Viewer shows who the API takes the caller to be, asking it with the
  // headers currently in the headers editor, again whenever they change.
  function Viewer() {
    var ctx = useEditorContext({ nonNull: true });
    var state = React.useState({ text: 'asking the API…' });
    var viewer = state[0];
    var setViewer = state[1];
    var editor = ctx.headerEditor;

    React.useEffect(function () {
      var timer = null;
      var seq = 0;
      function ask() {
        var mine = ++seq;
        var headers = Object.assign({ 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' }, headersObject(editor));
        fetch(endpoint, {
          method: 'POST',
          headers: headers,
          body: JSON.stringify({ query: '{ viewer { subject roles orgs authenticated } }' }),
        })
          .then(function (r) { return r.json(); })
          .then(function (body) {
            if (mine !== seq) {
              return;
            }
            if (body.data && body.data.viewer) {
              var v = body.data.viewer;
              setViewer({
                role: v.roles.length ? v.roles.join(', ') : 'public (no token)',
                orgs: v.orgs.length ? v.orgs.join(', ') : 'none',
                subject: v.subject || '',
              });
            } else {
              var msg = body.errors && body.errors[0] ? body.errors[0].message : 'no answer';
              setViewer({ text: 'the token in Headers is refused: ' + msg });
            }
          })
          .catch(function (err) {
            if (mine === seq) {
              setViewer({ text: 'cannot reach the API: ' + err.message });
            }
          });
      }
      function changed() {
        clearTimeout(timer);
        timer = setTimeout(ask, 400);
      }
      ask();
      if (editor) {
        editor.on('change', changed);
      }
      return function () {
        clearTimeout(timer);
        if (editor) {
          editor.off('change', changed);
        }
      };
    }, [editor]);

    if (viewer.text) {
      return h('p', { className: 'hesgql-viewer' }, viewer.text);
    }
    return h('dl', { className: 'hesgql-viewer' },
      h('dt', null, 'Role'), h('dd', { 'data-viewer': 'roles' }, viewer.role),
      h('dt', null, 'Organisations'), h('dd', { 'data-viewer': 'orgs' }, viewer.orgs),
      viewer.subject ? h('dt', null, 'Subject') : null,
      viewer.subject ? h('dd', null, viewer.subject) : null);
  }

  // Examples lists the example operations; choosing one opens it in a new
  // tab (with the page's default headers), ready to run.
  function Examples() {
    var ctx = useEditorContext({ nonNull: true });
    function open(ex) {
      ctx.addTab();
      // addTab resets the editors to the new tab; fill them once React has
      // applied it.
      setTimeout(function () {
        if (ctx.queryEditor) {
          ctx.queryEditor.setValue(ex.query);
        }
        if (ctx.variableEditor) {
          ctx.variableEditor.setValue(ex.variables || '');
        }
        // The new tab inherits the operation name last run; without this
        // GraphiQL asks for an operation the document does not have.
        var m = /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(ex.query);
        if (ctx.setOperationName) {
          ctx.setOperationName(m ? m[1] : null);
        }
      }, 0);
    }
    return h('div', { className: 'hesgql-examples' },
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Examples'),
      h('h3', null, 'You are'),
      h(Viewer),
      h('p', null, 'Change the token in Headers to act as another role; mint one with ',
        h('code', null, 'hesgql token --dev --role ADMIN'), '.'),
      h('h3', null, 'Example operations'),
      h('p', null, 'Choose one to open it in a new tab, then run it with Ctrl-Enter.'),
      h('ul', null, examples.map(function (ex, i) {
        return h('li', { key: i },
          h('button', { type: 'button', className: 'hesgql-example', 'data-example': ex.title, onClick: function () { open(ex); } }, ex.title),
          h('p', null, ex.about));
      })),
      h('h3', null, 'Documentation'),
      h('p', null, 'The Docs panel (book icon) describes every type and field, and who may read it. ',
        docsURL ? h('a', { href: docsURL, target: '_blank', rel: 'noopener noreferrer' }, 'hesgql documentation') : null,
        docsURL ? ': queries, labels, statistics, extracts and governance.' : null));
  }

  function ExamplesIcon() {
    return h('svg', { viewBox: '0 0 24 24', width: '1em', height: '1em', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': 'true' },
      h('path', { d: 'M4 5h16M4 10h16M4 15h10M4 20h7' }));
  }

  var examplesPlugin = { title: 'Examples', icon: ExamplesIcon, content: Examples };

  // Headers typed into the headers editor (for example
  // {"Authorization": "Bearer ..."}) are sent with every request. They are not
  // persisted to localStorage, so a token does not outlive the tab.
  var props = {
    fetcher: fetcher,
    defaultQuery: root.dataset.defaultQuery,
    // Development servers pre-fill a token minted for this page view here.
    defaultHeaders: root.dataset.defaultHeaders || undefined,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    plugins: [examplesPlugin],
  };

  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));

  // A newcomer sees the examples and who they are first: the Examples panel
  // is opened on each load, as a click on its sidebar button does, unless
  // the user closed it last time. (GraphiQL 4.1 neither remembers the open
  // panel nor opens a visiblePlugin's pane: that prop marks the plugin
  // active but leaves its pane collapsed.)
  var HIDDEN = 'hesgql:examplesHidden';
  function stored() {
    try {
      return localStorage.getItem(HIDDEN);
    } catch (e) {
      return null; // storage disabled: always open
    }
  }
  function store(hidden) {
    try {
      if (hidden) {
        localStorage.setItem(HIDDEN, '1');
      } else {
        localStorage.removeItem(HIDDEN);
      }
    } catch (e) {
      // Nothing to remember it in.
    }
  }
  // Remember the user's own choice (trusted clicks only, not the one below),
  // seen before GraphiQL flips the button's label.
  document.addEventListener('click', function (e) {
    var button = e.isTrusted && e.target.closest ? e.target.closest('.graphiql-sidebar button[aria-label]') : null;
    if (!button) {
      return;
    }
    var label = button.getAttribute('aria-label');
    if (label === 'Hide Examples') {
      store(true);
    } else if (label === 'Show Examples') {
      store(false);
    }
  }, true);
  if (!stored()) {
    var tries = 0;
    (function showExamples() {
      var button = document.querySelector('.graphiql-sidebar button[aria-label="Show Examples"]');
      if (button) {
        button.click();
        return;
      }
      if (++tries < 200) {
        setTimeout(showExamples, 25);
      }
    })();
  }
})();
