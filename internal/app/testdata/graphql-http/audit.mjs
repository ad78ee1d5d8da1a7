// Runs the graphql-http server audit suite (GraphQL over HTTP conformance)
// against the URL given as the first argument and prints one JSON array of
// {id, name, status, reason, body} results on stdout. Used by
// internal/app/httpaudit_test.go, which judges the results.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql-url>');
  process.exit(2);
}
const results = await auditServer({ url });
const out = [];
for (const r of results) {
  const row = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    row.reason = r.reason;
    if (r.response) {
      row.httpStatus = r.response.status;
      row.contentType = r.response.headers.get('content-type');
      try { row.body = await r.response.text(); } catch (e) { row.body = String(e); }
    }
  }
  out.push(row);
}
process.stdout.write(JSON.stringify(out));
