// Content negotiation for the static site under nginx (njs 0.7+): the rules of
// publisher/server/conneg.py, line for line, so nginx and `emigre serve` give the same answers.
// Read that module's docstring for the decisions; tests/test_static_site.py runs the shared
// negotiation table against both.
//
// The tables (formats, media types, aliases, limits) are not written here: publisher/site/nginx.py
// fills in TABLES from publisher/formats.py and publisher/server/conneg.py when it copies this
// file into a site, so there is one registry of formats.
//
// nginx uses two functions, through js_set:
//   extension(r)      the file extension to serve ("ttl", "html", ...), "" when nothing offered is
//                     acceptable (406), "!" for a malformed Accept or an unknown ?format= (400),
//                     "?" when this code failed (500);
//   errorExtension(r) "html" or "json": the body of an error page, as publisher/server/http.py
//                     chooses it (HTML for browsers and for no Accept, JSON for everyone else).
// njs 0.7 has no for..of, classes or Array.from, hence the plain loops.

var TABLES = null; // filled in by publisher/site/nginx.py

var ANY = 0;
var TYPE_WILDCARD = 1;
var WEAK_ALIAS = 2;
var NAMED = 3;

function AcceptError(reason) {
    this.reason = reason;
}

function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
}

function stripSpaceTab(text) {
    var start = 0;
    var end = text.length;
    while (start < end && (text[start] === " " || text[start] === "\t")) {
        start++;
    }
    while (end > start && (text[end - 1] === " " || text[end - 1] === "\t")) {
        end--;
    }
    return text.slice(start, end);
}

// Python's str.strip(): its whitespace is not JavaScript's (\x1c-\x1f and \x85 are, \ufeff is not).
function stripPython(text) {
    var start = 0;
    var end = text.length;
    while (start < end && TABLES.python_whitespace.indexOf(text[start]) >= 0) {
        start++;
    }
    while (end > start && TABLES.python_whitespace.indexOf(text[end - 1]) >= 0) {
        end--;
    }
    return text.slice(start, end);
}

function isToken(text) {
    if (!text) {
        return false;
    }
    for (var i = 0; i < text.length; i++) {
        if (TABLES.tchars.indexOf(text[i]) < 0) {
            return false;
        }
    }
    return true;
}

// `text` split at `separator` outside quoted strings.
function split(text, separator) {
    var pieces = [];
    var start = 0;
    var quoted = false;
    var escaped = false;
    for (var i = 0; i < text.length; i++) {
        var c = text[i];
        if (escaped) {
            escaped = false;
        } else if (quoted && c === "\\") {
            escaped = true;
        } else if (c === '"') {
            quoted = !quoted;
        } else if (c === separator && !quoted) {
            pieces.push(text.slice(start, i));
            start = i + 1;
        }
    }
    if (quoted) {
        throw new AcceptError("unterminated quoted string");
    }
    pieces.push(text.slice(start));
    return pieces;
}

// A qvalue in thousandths (an integer, so comparisons are exact).
function parseQ(value) {
    var dot = value.indexOf(".");
    var whole = dot < 0 ? value : value.slice(0, dot);
    var fraction = dot < 0 ? "" : value.slice(dot + 1);
    var valid =
        (whole === "0" || whole === "1" || whole === "") &&
        (whole !== "" || fraction !== "") &&
        fraction.length <= 3 &&
        /^[0-9]*$/.test(fraction) &&
        (whole !== "1" || /^0*$/.test(fraction));
    if (!valid) {
        throw new AcceptError("bad q");
    }
    return (whole === "1" ? 1000 : 0) + parseInt((fraction + "000").slice(0, 3), 10);
}

function parameterValue(raw) {
    if (isToken(raw)) {
        return raw;
    }
    if (raw.length >= 2 && raw[0] === '"' && raw[raw.length - 1] === '"') {
        var chars = [];
        var escaped = false;
        var inner = raw.slice(1, -1);
        for (var i = 0; i < inner.length; i++) {
            var c = inner[i];
            if (escaped) {
                chars.push(c);
                escaped = false;
            } else if (c === "\\") {
                escaped = true;
            } else if (c === '"') {
                throw new AcceptError("bad parameter value");
            } else {
                chars.push(c);
            }
        }
        if (!escaped) {
            return chars.join("");
        }
    }
    throw new AcceptError("bad parameter value");
}

function parseRange(element) {
    var parts = split(element, ";");
    var essence = stripSpaceTab(parts[0]);
    if (!essence) {
        throw new AcceptError("parameters without a media range");
    }
    if (essence === "*") {
        essence = "*/*"; // the JDK's HttpURLConnection
    }
    essence = essence.toLowerCase();
    var slash = essence.indexOf("/");
    if (slash < 0) {
        throw new AcceptError("no '/' in media range");
    }
    var type = essence.slice(0, slash);
    var subtype = essence.slice(slash + 1);
    if (!subtype || !isToken(type) || !isToken(subtype)) {
        throw new AcceptError("bad type or subtype");
    }
    if (type === "*" && subtype !== "*") {
        throw new AcceptError("'*/subtype' is not a media range");
    }
    var params = [];
    var q = null;
    for (var i = 1; i < parts.length; i++) {
        var part = stripSpaceTab(parts[i]);
        if (!part) {
            continue;
        }
        var equals = part.indexOf("=");
        var name = (equals < 0 ? part : part.slice(0, equals)).toLowerCase();
        var raw = equals < 0 ? "" : part.slice(equals + 1);
        if (equals < 0 || !isToken(name)) {
            throw new AcceptError("bad parameter");
        }
        var value = parameterValue(raw);
        if (name !== "q") {
            params.push([name, value]);
        } else if (q !== null) {
            throw new AcceptError("more than one q");
        } else {
            q = parseQ(raw);
        }
    }
    return { type: type, subtype: subtype, params: params, q: q === null ? 1000 : q };
}

function parseAccept(header) {
    if (header.length > TABLES.max_header_length) {
        throw new AcceptError("too long");
    }
    for (var i = 0; i < header.length; i++) {
        var code = header.charCodeAt(i);
        if (!((code >= 0x20 && code <= 0x7e) || code === 0x09)) {
            throw new AcceptError("not printable ASCII");
        }
    }
    var ranges = [];
    var elements = split(header, ",");
    for (var j = 0; j < elements.length; j++) {
        var element = stripSpaceTab(elements[j]);
        if (!element) {
            continue;
        }
        if (ranges.length === TABLES.max_ranges) {
            throw new AcceptError("too many media ranges");
        }
        ranges.push(parseRange(element));
    }
    return ranges;
}

// Lexicographic comparison of two arrays of numbers: a > b.
function greater(a, b) {
    for (var i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) {
            return a[i] > b[i];
        }
    }
    return false;
}

// [level, number of charset parameters], or null when the range does not match.
function specificity(range, mediaType) {
    var slash = mediaType.indexOf("/");
    var type = mediaType.slice(0, slash);
    var subtype = mediaType.slice(slash + 1);
    var level;
    if (range.type === "*") {
        level = ANY;
    } else if (range.type !== type) {
        return null;
    } else if (range.subtype === "*") {
        level = TYPE_WILDCARD;
    } else if (range.subtype !== subtype) {
        return null;
    } else {
        level = NAMED;
    }
    var charsets = 0;
    for (var i = 0; i < range.params.length; i++) {
        if (range.params[i][0] === "charset") {
            if (TABLES.utf8.indexOf(range.params[i][1].toLowerCase()) < 0) {
                return null;
            }
            charsets++;
        }
    }
    return [level, charsets];
}

// [q, explicitness] of the format, or null when no range matches any of its media types: each
// media type takes its most specific matching range, the highest q among equals; the most
// specific of those decide (their highest q, but 0 when they refuse the type we send).
function bestMatch(format, ranges) {
    var weak = has(TABLES.weak_aliases, format.name) ? TABLES.weak_aliases[format.name] : [];
    var mediaTypes = format.media_types.concat(weak);
    var matches = []; // [level, charsets, q, explicitness, isSent]
    for (var i = 0; i < mediaTypes.length; i++) {
        var isSent = mediaTypes[i] === format.media_types[0];
        var found = null;
        for (var j = 0; j < ranges.length; j++) {
            var spec = specificity(ranges[j], mediaTypes[i]);
            if (spec === null || !(isSent || spec[0] === NAMED)) {
                continue; // a wildcard must cover the type we send
            }
            var key = [spec[0], spec[1], ranges[j].q];
            if (found === null || greater(key, found)) {
                found = key;
            }
        }
        if (found !== null) {
            var explicitness = i >= format.media_types.length ? WEAK_ALIAS : found[0];
            matches.push([found[0], found[1], found[2], explicitness, isSent]);
        }
    }
    if (matches.length === 0) {
        return null;
    }
    var top = null;
    var k;
    for (k = 0; k < matches.length; k++) {
        if (top === null || greater(matches[k].slice(0, 2), top)) {
            top = matches[k].slice(0, 2);
        }
    }
    var best = null;
    for (k = 0; k < matches.length; k++) {
        var match = matches[k];
        if (match[0] !== top[0] || match[1] !== top[1]) {
            continue;
        }
        if (match[4] && match[2] === 0) {
            return [0, ANY];
        }
        if (best === null || greater([match[2], match[3]], best)) {
            best = [match[2], match[3]];
        }
    }
    return best;
}

// The offered format that best fits `accept` (null: 406); throws AcceptError when malformed.
function negotiate(accept, defaultName, preferHtmlForBrowsers) {
    var preferHtml =
        preferHtmlForBrowsers === undefined ? TABLES.prefer_html_for_browsers : preferHtmlForBrowsers;
    var formats = TABLES.formats;
    var ranges = accept === null ? [] : parseAccept(accept);
    var preference = [defaultName];
    var i;
    for (i = 0; i < formats.length; i++) {
        if (formats[i].name !== defaultName) {
            preference.push(formats[i].name);
        }
    }
    if (ranges.length === 0) {
        for (i = 0; i < formats.length; i++) {
            if (formats[i].name === defaultName) {
                return formats[i];
            }
        }
        return formats[0];
    }
    var named = {};
    for (i = 0; i < ranges.length; i++) {
        if (ranges[i].q > 0) {
            named[ranges[i].type + "/" + ranges[i].subtype] = true;
        }
    }
    var htmlNamed = false;
    for (i = 0; i < formats.length; i++) {
        if (!formats[i].is_rdf) {
            for (var m = 0; m < formats[i].media_types.length; m++) {
                htmlNamed = htmlNamed || has(named, formats[i].media_types[m]);
            }
        }
    }
    var rdfClient = false;
    if (!htmlNamed) {
        for (var essence in named) {
            rdfClient = rdfClient || has(TABLES.rdf_media_types, essence);
        }
    }
    var best = null;
    var chosen = null;
    for (i = 0; i < formats.length; i++) {
        var format = formats[i];
        if (rdfClient && !format.is_rdf) {
            continue;
        }
        var match = bestMatch(format, ranges);
        if (match === null || match[0] === 0) {
            continue;
        }
        var browserBonus = preferHtml && htmlNamed && !format.is_rdf ? 1 : 0;
        var key = [match[0], match[1], browserBonus, -preference.indexOf(format.name)];
        if (best === null || greater(key, best)) {
            best = key;
            chosen = format;
        }
    }
    return chosen;
}

// The format named by a ?format= value: a name, an extension, an alias or a media type.
function formatFromQuery(value) {
    var key = stripPython(value).toLowerCase();
    var tables = [
        TABLES.by_extension,
        TABLES.by_name,
        TABLES.query_aliases,
        TABLES.by_media_type,
    ];
    for (var i = 0; i < tables.length; i++) {
        if (has(tables[i], key)) {
            return TABLES.formats[tables[i][key]];
        }
    }
    return null;
}

function acceptHeader(r) {
    var accept = r.headersIn.Accept;
    return accept === undefined ? null : String(accept);
}

function extension(r) {
    try {
        var requested = r.args.format;
        if (requested !== undefined) {
            if (Array.isArray(requested)) {
                requested = requested[requested.length - 1]; // as Starlette: the last one
            }
            var named = formatFromQuery(String(requested));
            return named === null ? "!" : named.extension;
        }
        var chosen = negotiate(acceptHeader(r), TABLES.default);
        return chosen === null ? "" : chosen.extension;
    } catch (error) {
        if (error instanceof AcceptError) {
            return "!";
        }
        r.error("emigre conneg: " + error);
        return "?";
    }
}

function errorExtension(r) {
    var accept = acceptHeader(r);
    if (!accept) {
        return "html";
    }
    try {
        var chosen = negotiate(accept, "html");
        return chosen !== null && chosen.name === "html" ? "html" : "json";
    } catch (error) {
        return "json";
    }
}

// negotiate and formatFromQuery are exported for tests/test_static_site.py, which runs them
// under Node.js against publisher/server/conneg.py.
export default {
    extension: extension,
    errorExtension: errorExtension,
    negotiate: negotiate,
    formatFromQuery: formatFromQuery,
    AcceptError: AcceptError,
};
