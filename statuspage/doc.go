// Package statuspage is the public status page: GET /status (HTML), /status.json (the document
// in docs/STATUS-JSON.md) and /status/feed.atom (one Atom entry per public update), and the
// same three documents written as static files (`amends status export DIR`).
//
// # What is public
//
// Publishing is an act: an incident appears on the page once it has at least one public
// timeline event, and from then on the page shows
//
//   - its reference (INC-4) and its title: a title is considered customer-safe once the
//     incident is published, since the page cannot name the incident without it;
//   - its impact, in status-page words derived from the severity (SEV1 "Major outage", SEV2
//     "Partial outage", SEV3 "Degraded", SEV4 "Minor issue");
//   - its status, with closed shown as resolved (closing the loop is an internal step), and
//     the time it was resolved;
//   - its affected components;
//   - its public events, each as a time and a body, labelled with the status the incident had
//     when it was recorded; never the actor. "Started" is the earliest time a public update
//     gives, not the internal "noticed" instant: what customers read is what was published;
//   - while it is open, "next update by": the latest public update's publication time plus
//     the severity's update cadence (amends.NextUpdateDue).
//
// Components are those named by any incident on the page, each in the worst impact among the
// open incidents that name it, "Operational" otherwise. The page keeps every open published
// incident and the latest store.PublicHistoryLimit resolved ones as recent history.
//
// Never shown: the summary (DESIGN.md calls it customer-safe, but it is edited without an act
// of publishing and doubles as the colleagues' brief, so we keep it off the page; publish
// what customers should read as a public update), owner, lead, communications owner,
// created-by, actors, internal events and their bodies (status events are read for their
// status value only), corrections recorded internally (to correct a public update, publish a
// public correction), deliveries, groups, contacts, customers, users and tokens. The store's
// PublicState has no field for any of them, so they cannot reach a page by mistake, and the
// tests put a marker string in every one of them and scan every public response and export.
//
// # Why a package of its own
//
// The page is built for the spike that comes with an outage, not for signed-in people:
// responses are precomputed when something is published (never rendered per request), carry
// strong ETags and CDN-friendly Cache-Control, are gzipped once, and the page handlers read no
// database. There are no sessions, cookies or CSRF tokens, no JavaScript, and its own small
// inline stylesheet; and the same renderer writes a static export that any web server or
// bucket can serve while our own infrastructure is down. See docs/decisions/0011-status-page.md.
//
// # Subscriptions
//
// The server's page (not a static export) has a subscribe form posting to /status/subscribe;
// /status/confirm/{token} and /status/unsubscribe/{token} show a button on GET and act on POST.
// Subscribers are sent each new public update, and never appear on any public document. See
// subscribe.go and the "Subscriptions" note in docs/decisions/0011-status-page.md.
//
// # How a publish reaches every replica
//
// The store bumps a publish counter in the transaction of every change that affects the page
// (a public event; a change to a published incident). Each replica's Publisher polls that
// counter every DefaultInterval (one primary-key read per interval, never per request) and,
// when it moved, reads the published state in a few queries, renders the three documents,
// gzips them, and swaps the new snapshot in with an atomic pointer. Rendering depends only on
// the published state (no clock), so every replica serves identical bytes and ETags.
package statuspage
