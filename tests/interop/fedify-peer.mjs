// A real ActivityPub peer, built on Fedify, for the bridge's interop tests.
//
// One actor (env ACTOR, default "alice") served at http://127.0.0.1:PORT, with
// inbox, outbox, followers, and a small JSON control API under /_control/.
// Every inbox entry is logged only after Fedify has verified the request (it
// answers 401 itself to an unsigned or badly signed delivery and never calls a
// listener for it, because no unverified-activity handler is set here).
//
// Env: PORT (default 0 = any free port), ACTOR (default alice),
//      AUTO_ACCEPT (default 1: answer every Follow with an Accept),
//      QUEUE (default 1: Fedify's in-process queue; 0 = no queue, synchronous),
//      FIRST_KNOCK (default rfc9421; or draft-cavage-http-signatures-12),
//      ED25519 (default 0; 1 = also publish an Ed25519 key, which makes Fedify
//               attach FEP-8b32 proofs; HTTP signatures stay RSA),
//      RSA_BITS (default 2048),
//      DEBUG (1 = Fedify's own logs on stderr),
//      STDIN_WATCH (1 = exit when stdin reaches EOF, e.g. the parent died).
//
// Prints "READY <port>" on stdout once it listens.

import http from "node:http";
import { Temporal } from "@js-temporal/polyfill";
import { randomUUID } from "node:crypto";
import { getRequestListener } from "@hono/node-server";
import {
  createFederation,
  generateCryptoKeyPair,
  InProcessMessageQueue,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/fedify/vocab";

const HOST = "127.0.0.1";
const ACTOR = process.env.ACTOR || "alice";
const AUTO_ACCEPT = (process.env.AUTO_ACCEPT ?? "1") !== "0";
const USE_QUEUE = (process.env.QUEUE ?? "1") !== "0";
const FIRST_KNOCK = process.env.FIRST_KNOCK || "rfc9421";
const WITH_ED25519 = process.env.ED25519 === "1";

if (process.env.DEBUG === "1") {
  const { configure, getConsoleSink } = await import("@logtape/logtape");
  await configure({
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: "fedify", sinks: ["console"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: ["console"], lowestLevel: "warning" },
    ],
  });
}

// ---------------------------------------------------------------- state

// Fedify's generateCryptoKeyPair() makes 4096-bit RSA keys, which take seconds
// on a busy 2-core machine; 2048 bits (as Mastodon uses) start in ~0.2 s.
const RSA_BITS = Number(process.env.RSA_BITS ?? 2048);
const keyPairs = [
  await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: RSA_BITS,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ),
];
if (WITH_ED25519) keyPairs.push(await generateCryptoKeyPair("Ed25519"));

/** Verified inbox entries, oldest first. */
const inboxLog = [];
/** Inbox requests Fedify refused (non-2xx), for debugging signatures. */
const rejected = [];
/** Outgoing POSTs Fedify made (deliveries, both knocks). */
const deliveries = [];
/** Raw body and signature headers of inbox requests, by activity id. */
const rawById = new Map();
/** Every HTTP request this peer served (not the control API). */
const requests = [];
/** followers: actor id -> { id, inboxId, sharedInboxId } */
const followers = new Map();
/** following: target actor id -> { follow: Follow, accepted: bool|null } */
const following = new Map();
/** Activities alice sent (newest last), for the outbox. */
const outbox = [];
/** Notes alice created, by local id. */
const notes = new Map();

// ---------------------------------------------------------------- outgoing log

function sigScheme(headers) {
  if (headers.get("signature-input")) return "rfc9421";
  if (headers.get("signature")) return "draft-cavage";
  return "none";
}

const origFetch = globalThis.fetch;
globalThis.fetch = async function loggedFetch(input, init) {
  const req = new Request(input, init);
  if (req.method !== "POST") return origFetch(req);
  const body = await req.clone().text();
  const entry = {
    at: new Date().toISOString(),
    url: req.url,
    scheme: sigScheme(req.headers),
    signature: req.headers.get("signature"),
    signatureInput: req.headers.get("signature-input"),
    body,
    status: null,
  };
  deliveries.push(entry);
  try {
    const res = await origFetch(req);
    entry.status = res.status;
    return res;
  } catch (e) {
    entry.error = String(e);
    throw e;
  }
};

// ---------------------------------------------------------------- federation

let origin; // set once the port is known
let displayName = null; // the actor's name once /_control/update-profile changed it
let federation;

function buildFederation() {
  const fed = createFederation({
    kv: new MemoryKvStore(),
    queue: USE_QUEUE ? new InProcessMessageQueue() : undefined,
    origin,
    allowPrivateAddress: true,
    firstKnock: FIRST_KNOCK,
    onOutboxError: (error, activity) => {
      deliveries.push({
        at: new Date().toISOString(),
        outboxError: String(error),
        activity: activity?.id?.href ?? null,
      });
    },
  });

  fed
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) =>
      identifier === ACTOR ? await actorDocument(ctx, identifier) : null
    )
    .setKeyPairsDispatcher(async (_ctx, identifier) =>
      identifier === ACTOR ? keyPairs : []
    );

  fed.setFollowersDispatcher(
    "/users/{identifier}/followers",
    async (_ctx, identifier) => {
      if (identifier !== ACTOR) return null;
      return {
        items: [...followers.values()].map((f) => ({
          id: new URL(f.id),
          inboxId: new URL(f.inboxId),
          endpoints: f.sharedInboxId ? { sharedInbox: new URL(f.sharedInboxId) } : null,
        })),
      };
    },
  ).setCounter((_ctx, identifier) => (identifier === ACTOR ? followers.size : null));

  fed.setOutboxDispatcher(
    "/users/{identifier}/outbox",
    async (_ctx, identifier) => {
      if (identifier !== ACTOR) return null;
      return { items: outbox.slice().reverse() };
    },
  ).setCounter((_ctx, identifier) => (identifier === ACTOR ? outbox.length : null));

  fed.setObjectDispatcher(
    Note,
    "/users/{identifier}/notes/{id}",
    (_ctx, { identifier, id }) => (identifier === ACTOR ? notes.get(id) ?? null : null),
  );
  fed.setObjectDispatcher(
    Follow,
    "/users/{identifier}/follows/{id}",
    (ctx, { identifier, id }) => {
      if (identifier !== ACTOR) return null;
      const url = ctx.getObjectUri(Follow, { identifier, id }).href;
      for (const f of following.values()) if (f.follow.id?.href === url) return f.follow;
      return null;
    },
  );

  const inbox = fed.setInboxListeners("/users/{identifier}/inbox", "/inbox");
  inbox
    .on(Follow, async (ctx, follow) => {
      record(ctx, follow);
      const me = ctx.getActorUri(ACTOR);
      if (follow.objectId?.href !== me.href || follow.actorId == null) return;
      const follower = await follow.getActor(ctx);
      if (follower?.id == null || follower.inboxId == null) return;
      const reply = AUTO_ACCEPT ? Accept : Reject;
      if (AUTO_ACCEPT) {
        followers.set(follower.id.href, {
          id: follower.id.href,
          inboxId: follower.inboxId.href,
          sharedInboxId: follower.endpoints?.sharedInbox?.href ?? null,
        });
      }
      const answer = new reply({
        id: new URL(`${me.href}/${AUTO_ACCEPT ? "accepts" : "rejects"}/${randomUUID()}`),
        actor: me,
        object: follow,
        to: follower.id,
      });
      sent(answer);
      await ctx.sendActivity({ identifier: ACTOR }, follower, answer);
    })
    .on(Accept, async (ctx, accept) => {
      record(ctx, accept);
      markFollow(accept, true);
    })
    .on(Reject, async (ctx, reject) => {
      record(ctx, reject);
      markFollow(reject, false);
    })
    .on(Undo, async (ctx, undo) => {
      record(ctx, undo);
      const raw = rawObject(undo);
      let isFollow = raw && typeof raw === "object" && raw.type === "Follow";
      if (!isFollow && typeof raw === "string") {
        try {
          isFollow = (await undo.getObject(ctx)) instanceof Follow;
        } catch { /* not dereferenceable */ }
      }
      if (isFollow && undo.actorId) followers.delete(undo.actorId.href);
    })
    .on(Create, async (ctx, a) => record(ctx, a))
    .on(Update, async (ctx, a) => record(ctx, a))
    .on(Delete, async (ctx, a) => record(ctx, a))
    .on(Announce, async (ctx, a) => record(ctx, a))
    .on(Like, async (ctx, a) => record(ctx, a))
    .on(Activity, async (ctx, a) => record(ctx, a))
    .onError((_ctx, error) => {
      rejected.push({ at: new Date().toISOString(), listenerError: String(error) });
    });

  return fed;
}

function rawOf(activity) {
  return activity.id ? rawById.get(activity.id.href) : undefined;
}

function rawObject(activity) {
  return rawOf(activity)?.json?.object;
}

function idOf(v) {
  if (v == null) return null;
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return idOf(v[0]);
  if (typeof v === "object") return v.id ?? v["@id"] ?? v.href ?? null;
  return null;
}

/** Appends a verified activity to the inbox log. */
function record(ctx, activity) {
  // A listener that failed is run again by Fedify's retry: log once.
  if (activity.id && inboxLog.some((e) => e.id === activity.id.href)) return;
  const raw = rawOf(activity);
  const json = raw?.json ?? null;
  const obj = json?.object;
  const objInline = obj && typeof obj === "object" && !Array.isArray(obj) ? obj : null;
  inboxLog.push({
    receivedAt: new Date().toISOString(),
    recipient: ctx.recipient ?? null, // null = shared inbox
    type: json?.type ?? activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectId: activity.objectId?.href ?? idOf(obj),
    objectType: objInline?.type ?? null,
    objectContent: objInline?.content ?? null,
    atomUri: objInline?.atomUri ?? json?.atomUri ?? null,
    inReplyTo: idOf(objInline?.inReplyTo) ?? null,
    inReplyToAtomUri: objInline?.inReplyToAtomUri ?? null,
    // How the delivery that Fedify accepted was signed (from its headers).
    signatureScheme: raw?.scheme ?? null,
    keyId: raw?.keyId ?? null,
    verified: true,
    raw: json,
  });
}

function markFollow(activity, accepted) {
  const raw = rawObject(activity);
  const objId = activity.objectId?.href ?? idOf(raw);
  for (const f of following.values()) {
    if (f.follow.id?.href === objId || (objId == null && f.target === activity.actorId?.href)) {
      f.accepted = accepted;
    }
  }
  // Some servers answer with an Accept whose object is only the follower's id:
  if (activity.actorId && following.has(activity.actorId.href)) {
    const f = following.get(activity.actorId.href);
    if (f.accepted == null) f.accepted = accepted;
  }
}

function sent(activity) {
  outbox.push(activity);
}

// ---------------------------------------------------------------- control API

function json(status, body) {
  return new Response(JSON.stringify(body, null, 2), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

async function body(req) {
  try {
    return await req.json();
  } catch {
    return {};
  }
}

function context() {
  return federation.createContext(new URL(origin), undefined);
}

async function lookupActor(ctx, url) {
  const actor = await ctx.lookupObject(url);
  if (actor == null || actor.id == null || actor.inboxId == null) {
    throw new Error(`could not fetch an actor with an inbox at ${url}`);
  }
  return actor;
}

async function control(req, path) {
  const ctx = context();
  const me = ctx.getActorUri(ACTOR);
  try {
    if (req.method === "GET" && path === "ready") {
      return json(200, { ready: true, actor: me.href, port: Number(new URL(origin).port) });
    }
    if (req.method === "GET" && path === "inbox") return json(200, inboxLog);
    if (req.method === "GET" && path === "rejected") return json(200, rejected);
    if (req.method === "GET" && path === "deliveries") return json(200, deliveries);
    if (req.method === "GET" && path === "requests") return json(200, requests);
    if (req.method === "GET" && path === "following") {
      return json(200, [...following.values()].map((f) => ({
        target: f.target,
        follow: f.follow.id?.href,
        accepted: f.accepted,
      })));
    }
    if (req.method === "GET" && path === "followers") return json(200, [...followers.values()]);
    if (req.method === "POST" && path === "follow") {
      const { actor: url } = await body(req);
      if (!url) return json(400, { error: "actor is required" });
      const target = await lookupActor(ctx, url);
      const follow = new Follow({
        id: ctx.getObjectUri(Follow, { identifier: ACTOR, id: randomUUID() }),
        actor: me,
        object: target.id,
        to: target.id,
      });
      following.set(target.id.href, { target: target.id.href, follow, accepted: null });
      sent(follow);
      await ctx.sendActivity({ identifier: ACTOR }, target, follow);
      return json(202, { follow: follow.id.href, target: target.id.href, inbox: target.inboxId.href });
    }
    if (req.method === "POST" && path === "update-profile") {
      // {"name": "<new display name>"}: the actor renames itself and sends Update(Person)
      // to its followers.
      const { name } = await body(req);
      if (!name) return json(400, { error: "name is required" });
      displayName = name;
      const actor = await actorDocument(ctx, ACTOR);
      const update = new Update({
        id: new URL(`${me.href}#updates/${randomUUID()}`),
        actor: me,
        object: actor,
        to: PUBLIC_COLLECTION,
        ccs: [ctx.getFollowersUri(ACTOR)],
      });
      sent(update);
      if (followers.size > 0) await ctx.sendActivity({ identifier: ACTOR }, "followers", update);
      return json(202, { update: update.id.href });
    }
    if (req.method === "POST" && path === "unfollow") {
      const { actor: url } = await body(req);
      if (!url) return json(400, { error: "actor is required" });
      const f = following.get(url);
      if (!f) return json(404, { error: `not following ${url}` });
      const target = await lookupActor(ctx, url);
      const undo = new Undo({
        id: new URL(`${me.href}/undos/${randomUUID()}`),
        actor: me,
        object: f.follow,
        to: target.id,
      });
      following.delete(url);
      sent(undo);
      await ctx.sendActivity({ identifier: ACTOR }, target, undo);
      return json(202, { undo: undo.id.href, target: target.id.href });
    }
    if (req.method === "POST" && path === "create") {
      // {"content": "<p>hi</p>", "to": "<actor URL>"?, "inReplyTo": "<URL>"?}
      // Sends a public Create(Note) to the followers and to "to", if given.
      const { content, to, inReplyTo } = await body(req);
      const id = randomUUID();
      const noteId = ctx.getObjectUri(Note, { identifier: ACTOR, id });
      const published = Temporal.Now.instant();
      const note = new Note({
        id: noteId,
        attribution: me,
        content: content ?? "",
        published,
        to: PUBLIC_COLLECTION,
        ccs: [ctx.getFollowersUri(ACTOR), ...(to ? [new URL(to)] : [])],
        replyTarget: inReplyTo ? new URL(inReplyTo) : null,
        url: noteId,
      });
      notes.set(id, note);
      const create = new Create({
        id: new URL(`${noteId.href}/activity`),
        actor: me,
        object: note,
        published,
        to: PUBLIC_COLLECTION,
        ccs: note.ccIds,
      });
      sent(create);
      if (followers.size > 0) await ctx.sendActivity({ identifier: ACTOR }, "followers", create);
      if (to) {
        const target = await lookupActor(ctx, to);
        if (!followers.has(target.id.href)) {
          await ctx.sendActivity({ identifier: ACTOR }, target, create);
        }
      }
      return json(202, { create: create.id.href, note: noteId.href });
    }
    if (req.method === "POST" && (path === "like" || path === "announce")) {
      // {"object": "<note URL>", "to": "<actor URL>"?}: a Like (to "to") or a public
      // Announce (to the followers and "to").
      const { object, to } = await body(req);
      if (!object) return json(400, { error: "object is required" });
      const Kind = path === "like" ? Like : Announce;
      const activity = new Kind({
        id: new URL(`${me.href}/${path}s/${randomUUID()}`),
        actor: me,
        object: new URL(object),
        published: Temporal.Now.instant(),
        ...(path === "announce"
          ? { to: PUBLIC_COLLECTION, ccs: [ctx.getFollowersUri(ACTOR), ...(to ? [new URL(to)] : [])] }
          : to ? { to: new URL(to) } : {}),
      });
      sent(activity);
      if (path === "announce" && followers.size > 0) {
        await ctx.sendActivity({ identifier: ACTOR }, "followers", activity);
      }
      if (to) {
        const target = await lookupActor(ctx, to);
        if (path === "like" || !followers.has(target.id.href)) {
          await ctx.sendActivity({ identifier: ACTOR }, target, activity);
        }
      }
      return json(202, { [path]: activity.id.href });
    }
    if (req.method === "POST" && path === "delete") {
      // {"note": "<note URL made by /create>", "to": "<actor URL>"?}: a Delete with a
      // Tombstone, to the followers and "to".
      const { note: noteUrl, to } = await body(req);
      const entry = [...notes.entries()].find(([, n]) => n.id?.href === noteUrl);
      if (!entry) return json(404, { error: `no note ${noteUrl}` });
      notes.delete(entry[0]);
      const del = new Delete({
        id: new URL(`${noteUrl}#delete`),
        actor: me,
        object: new Tombstone({ id: new URL(noteUrl) }),
        to: PUBLIC_COLLECTION,
        ccs: [ctx.getFollowersUri(ACTOR), ...(to ? [new URL(to)] : [])],
      });
      sent(del);
      if (followers.size > 0) await ctx.sendActivity({ identifier: ACTOR }, "followers", del);
      if (to) {
        const target = await lookupActor(ctx, to);
        if (!followers.has(target.id.href)) await ctx.sendActivity({ identifier: ACTOR }, target, del);
      }
      return json(202, { delete: del.id.href });
    }
    if (req.method === "POST" && path === "webfinger") {
      // Fedify only looks handles up over https; do the plain-http GET here.
      const { resource, host } = await body(req);
      if (!resource || !host) return json(400, { error: "resource and host are required" });
      const url = new URL("/.well-known/webfinger", host);
      url.searchParams.set("resource", resource);
      const res = await origFetch(url, { headers: { Accept: "application/jrd+json" } });
      if (!res.ok) return json(502, { error: `WebFinger ${url} answered ${res.status}`, body: await res.text() });
      const jrd = await res.json();
      const self = (jrd.links ?? []).find((l) =>
        l.rel === "self" &&
        (l.type === "application/activity+json" || (l.type ?? "").startsWith("application/ld+json"))
      );
      if (!self?.href) return json(502, { error: "no self link in the JRD", jrd });
      return json(200, { actor: self.href, subject: jrd.subject ?? null, jrd });
    }
    return json(404, { error: `no control endpoint ${req.method} /_control/${path}` });
  } catch (e) {
    return json(500, { error: String(e?.stack ?? e) });
  }
}

// ---------------------------------------------------------------- HTTP

// The peer's own actor, as its dispatcher serves it and its Update(Person) carries it.
async function actorDocument(ctx, identifier) {
  const keys = await ctx.getActorKeyPairs(identifier);
  return new Person({
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    name: displayName ?? identifier[0].toUpperCase() + identifier.slice(1),
    summary: "Fedify interop peer for ostatus-bridge",
    url: ctx.getActorUri(identifier),
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0].cryptographicKey,
    assertionMethods: keys.map((k) => k.multikey),
    manuallyApprovesFollowers: !AUTO_ACCEPT,
  });
}

function isInboxPath(path) {
  return path === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(path);
}

function parseKeyId(headers) {
  const sig = headers.get("signature") ?? "";
  const input = headers.get("signature-input") ?? "";
  const m = /keyid="([^"]+)"/i.exec(input) ?? /keyId="([^"]+)"/.exec(sig);
  return m ? m[1] : null;
}

async function handle(req) {
  if (federation == null) return new Response("Starting", { status: 503 });
  const url = new URL(req.url);
  if (url.pathname.startsWith("/_control/")) {
    return control(req, url.pathname.slice("/_control/".length));
  }
  const entry = {
    at: new Date().toISOString(),
    method: req.method,
    path: url.pathname + url.search,
    accept: req.headers.get("accept"),
    scheme: sigScheme(req.headers),
    keyId: parseKeyId(req.headers),
    status: null,
  };
  requests.push(entry);
  const res = await route(req, url);
  entry.status = res.status;
  return res;
}

async function route(req, url) {
  if (req.method === "POST" && isInboxPath(url.pathname)) {
    const text = await req.clone().text();
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch { /* Fedify answers 400 */ }
    const info = { json: parsed, scheme: sigScheme(req.headers), keyId: parseKeyId(req.headers) };
    const id = parsed && typeof parsed === "object" ? parsed.id : null;
    if (typeof id === "string") rawById.set(id, info);
    const res = await federation.fetch(req, { contextData: undefined });
    if (res.status >= 300) {
      rejected.push({
        at: new Date().toISOString(),
        path: url.pathname,
        status: res.status,
        reason: await res.clone().text(),
        scheme: info.scheme,
        keyId: info.keyId,
        signature: req.headers.get("signature"),
        signatureInput: req.headers.get("signature-input"),
        digest: req.headers.get("digest"),
        contentDigest: req.headers.get("content-digest"),
        date: req.headers.get("date"),
        host: req.headers.get("host"),
        body: parsed ?? text,
      });
    }
    return res;
  }
  return federation.fetch(req, {
    contextData: undefined,
    onNotFound: () => new Response("Not found", { status: 404 }),
    onNotAcceptable: () => new Response("Not acceptable", { status: 406 }),
  });
}

const server = http.createServer(getRequestListener(handle));
server.listen(Number(process.env.PORT ?? 0), HOST, () => {
  const port = server.address().port;
  origin = `http://${HOST}:${port}`;
  federation = buildFederation();
  process.stdout.write(`READY ${port}\n`);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// With STDIN_WATCH=1 the peer also ends when its stdin closes, so a test
// that spawned it with a piped stdin cannot leave it behind when it dies.
if (process.env.STDIN_WATCH === "1") {
  process.stdin.on("end", shutdown);
  process.stdin.on("error", shutdown);
  process.stdin.resume();
}
