// Canonize a JSON-LD document with jsonld.js in safe mode and print it as N-Quads.
//
//   node tests/js/canonize.mjs DOCUMENT CONTEXT_FILE [CONTEXT_URL]
//
// The document loader is offline: CONTEXT_URL (default https://w3id.org/emigre/context.jsonld)
// is served from CONTEXT_FILE and any other URL is refused. Safe mode makes jsonld.js fail on
// anything it would otherwise drop silently (a term the context does not map, a relative IRI),
// which is the point of this check: https://www.w3.org/TR/json-ld11-api/#dom-jsonldoptions-safe
// Exit 0 and N-Quads on stdout, or exit 1 and the error on stderr.
import { readFile } from "node:fs/promises";
import jsonld from "jsonld";

const DEFAULT_CONTEXT_URL = "https://w3id.org/emigre/context.jsonld";

async function main(argv) {
  if (argv.length < 2 || argv.length > 3) {
    throw new Error("usage: canonize.mjs DOCUMENT CONTEXT_FILE [CONTEXT_URL]");
  }
  const [documentPath, contextPath, contextUrl = DEFAULT_CONTEXT_URL] = argv;
  const document = JSON.parse(await readFile(documentPath, "utf8"));
  const context = JSON.parse(await readFile(contextPath, "utf8"));
  const documentLoader = async (url) => {
    if (url !== contextUrl) {
      throw new Error(`offline document loader refuses ${url}`);
    }
    return { contextUrl: null, documentUrl: url, document: context };
  };
  const nquads = await jsonld.canonize(document, {
    algorithm: "URDNA2015",
    format: "application/n-quads",
    documentLoader,
    safe: true,
  });
  process.stdout.write(nquads);
}

// jsonld.js errors carry details, and a loader's own error as details.cause.
function describe(error) {
  let text = `${error.name}: ${error.message}`;
  if (error.details) {
    const { cause, ...details } = error.details;
    text += ` ${JSON.stringify(details)}`;
    if (cause) {
      text += `\n  caused by ${describe(cause)}`;
    }
  }
  return text;
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${describe(error)}\n`);
  process.exit(1);
});
