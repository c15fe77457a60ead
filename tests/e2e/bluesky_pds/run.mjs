// A real Bluesky PDS for Portevoix's end-to-end connector test (tests/e2e/test_bluesky_pds.py).
//
// Starts @atproto/dev-env's TestNetworkNoAppView (a PLC directory and a PDS, in memory and in a temporary
// folder, on free ports), creates two accounts ("alice", the one Portevoix connects with an app password,
// and "bob", who follows and likes), then prints ONE JSON line on stdout and keeps running until stdin
// closes or SIGTERM/SIGINT arrives.
//
// The real AppView (@atproto/bsky) needs PostgreSQL and Redis. The PDS proxies app.bsky.* reads to an
// AppView, so this script points it to a small stand-in that answers the three reads the connector uses
// (app.bsky.feed.getPosts, app.bsky.actor.getProfile, com.atproto.identity.resolveHandle) by counting the
// records that really are in the PDS's repositories (likes, reposts, replies, quotes, follows).
//
// Logs go to stderr; stdout carries only the JSON line.

import fs from 'node:fs/promises'
import http from 'node:http'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
const { TestNetworkNoAppView } = require('@atproto/dev-env')
const { JWT_SECRET } = require('@atproto/dev-env/dist/const')
const jose = require('jose')

const log = (...args) => console.error('[bluesky-pds]', ...args)

let pdsUrl = null
const accounts = [] // { did, handle }

// --- The stand-in AppView -------------------------------------------------------------------------

async function pdsGet(nsid, params) {
  const url = new URL(`/xrpc/${nsid}`, pdsUrl)
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  const res = await fetch(url)
  const body = await res.json()
  return { status: res.status, body }
}

async function listAll(did, collection) {
  const records = []
  let cursor
  do {
    const params = { repo: did, collection, limit: '100' }
    if (cursor) params.cursor = cursor
    const { status, body } = await pdsGet('com.atproto.repo.listRecords', params)
    if (status !== 200) break
    records.push(...body.records)
    cursor = body.cursor
  } while (cursor)
  return records
}

async function allRecords(collection) {
  const lists = await Promise.all(accounts.map((a) => listAll(a.did, collection)))
  return lists.flat()
}

async function describe(actor) {
  const { status, body } = await pdsGet('com.atproto.repo.describeRepo', { repo: actor })
  return status === 200 ? { did: body.did, handle: body.handle } : null
}

async function getPosts(uris) {
  const [likes, reposts, posts] = await Promise.all([
    allRecords('app.bsky.feed.like'),
    allRecords('app.bsky.feed.repost'),
    allRecords('app.bsky.feed.post'),
  ])
  const views = []
  for (const uri of uris) {
    const match = /^at:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(uri)
    if (!match) continue
    const [, repo, collection, rkey] = match
    const { status, body } = await pdsGet('com.atproto.repo.getRecord', { repo, collection, rkey })
    if (status !== 200) continue // deleted or never existed: the real AppView leaves it out too
    const author = await describe(repo)
    views.push({
      uri: body.uri,
      cid: body.cid,
      author: { did: author.did, handle: author.handle },
      record: body.value,
      indexedAt: new Date().toISOString(),
      likeCount: likes.filter((r) => r.value.subject?.uri === body.uri).length,
      repostCount: reposts.filter((r) => r.value.subject?.uri === body.uri).length,
      replyCount: posts.filter((r) => r.value.reply?.parent?.uri === body.uri).length,
      quoteCount: posts.filter((r) => r.value.embed?.record?.uri === body.uri).length,
    })
  }
  return { posts: views }
}

async function getProfile(actor) {
  const who = await describe(actor)
  if (!who) return null
  const [follows, posts] = await Promise.all([
    allRecords('app.bsky.graph.follow'),
    listAll(who.did, 'app.bsky.feed.post'),
  ])
  const profile = await pdsGet('com.atproto.repo.getRecord', {
    repo: who.did,
    collection: 'app.bsky.actor.profile',
    rkey: 'self',
  })
  return {
    did: who.did,
    handle: who.handle,
    displayName: profile.status === 200 ? profile.body.value.displayName : undefined,
    followersCount: follows.filter((r) => r.value.subject === who.did).length,
    followsCount: follows.filter((r) => r.uri.startsWith(`at://${who.did}/`)).length,
    postsCount: posts.length,
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://appview.invalid')
  try {
    if (url.pathname === '/xrpc/app.bsky.feed.getPosts') {
      return send(res, 200, await getPosts(url.searchParams.getAll('uris')))
    }
    if (url.pathname === '/xrpc/app.bsky.actor.getProfile') {
      const profile = await getProfile(url.searchParams.get('actor') ?? '')
      if (!profile) return send(res, 400, { error: 'InvalidRequest', message: 'Profile not found' })
      return send(res, 200, profile)
    }
    if (url.pathname === '/xrpc/com.atproto.identity.resolveHandle') {
      // Only this PDS's accounts exist in this little network.
      return send(res, 400, { error: 'InvalidRequest', message: 'Unable to resolve handle' })
    }
    return send(res, 501, { error: 'MethodNotImplemented', message: `${url.pathname} is not in the stand-in` })
  } catch (err) {
    log('stand-in AppView error', err)
    return send(res, 500, { error: 'InternalServerError', message: String(err) })
  }
}

// --- Accounts -------------------------------------------------------------------------------------

async function xrpc(nsid, body, token) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(new URL(`/xrpc/${nsid}`, pdsUrl), {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  })
  const data = await res.json()
  if (res.status !== 200) throw new Error(`${nsid}: ${res.status} ${JSON.stringify(data)}`)
  return data
}

async function createAccount(name, displayName) {
  const handle = `${name}.test`
  const password = `${name}-main-password`
  const session = await xrpc('com.atproto.server.createAccount', {
    email: `${name}@portevoix.test`,
    handle,
    password,
  })
  await xrpc(
    'com.atproto.repo.createRecord',
    {
      repo: session.did,
      collection: 'app.bsky.actor.profile',
      rkey: 'self',
      record: { $type: 'app.bsky.actor.profile', displayName },
    },
    session.accessJwt,
  )
  const appPassword = await xrpc(
    'com.atproto.server.createAppPassword',
    { name: 'portevoix' },
    session.accessJwt,
  )
  accounts.push({ did: session.did, handle })
  return { did: session.did, handle, password, app_password: appPassword.password }
}

// An access token of the shape the PDS issues for app-password sessions, expired a minute ago: lets the
// test check that the connector refreshes its session on ExpiredToken.
async function expiredAccessJwt(did, serviceDid) {
  const now = Math.floor(Date.now() / 1000)
  return new jose.SignJWT({ scope: 'com.atproto.appPass' })
    .setProtectedHeader({ typ: 'at+jwt', alg: 'HS256' })
    .setAudience(serviceDid)
    .setSubject(did)
    .setIssuedAt(now - 7200)
    .setExpirationTime(now - 60)
    .sign(new TextEncoder().encode(JWT_SECRET))
}

// --- Main -----------------------------------------------------------------------------------------

const appview = http.createServer((req, res) => void handle(req, res))
await new Promise((resolve) => appview.listen(0, '127.0.0.1', resolve))
const appviewUrl = `http://127.0.0.1:${appview.address().port}`

// dev-env puts the PDS's databases and blobs in os.tmpdir(): in a folder of our own, removed on shutdown.
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'portevoix-bluesky-pds-'))
process.env.TMPDIR = dataDir
const network = await TestNetworkNoAppView.create({
  pds: { bskyAppViewUrl: appviewUrl, bskyAppViewDid: 'did:web:appview.portevoix.test' },
})
pdsUrl = network.pds.url
log(`PDS at ${pdsUrl}, stand-in AppView at ${appviewUrl}`)

const alice = await createAccount('alice', 'Alice Portevoix')
const bob = await createAccount('bob', 'Bob')
const info = {
  pds_url: pdsUrl,
  account: alice,
  fan: bob,
  expired_access_jwt: await expiredAccessJwt(alice.did, network.pds.ctx.cfg.service.did),
}
process.stdout.write(`${JSON.stringify(info)}\n`)

let closing = false
async function shutdown(reason) {
  if (closing) return
  closing = true
  log(`stopping (${reason})`)
  const timer = setTimeout(() => process.exit(0), 5000)
  timer.unref()
  try {
    await network.close()
  } catch (err) {
    log('error while closing', err)
  }
  appview.close()
  await fs.rm(dataDir, { recursive: true, force: true })
  process.exit(0)
}

process.stdin.on('end', () => void shutdown('stdin closed'))
process.stdin.on('close', () => void shutdown('stdin closed'))
process.stdin.resume()
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
