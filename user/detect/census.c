// SPDX-License-Identifier: GPL-2.0
#include "census_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "sampler.h"

#define CLASSIC_HMAP	     48 /* header bytes, without clearSeq */
#define SWISS_TABLE	     48 /* maps.table */
#define SWISS_TABLE_SLOTS    1024
#define BAD_READS_TO_DROP    2 /* rounds in a row a header did not validate */
#define IDLE_WINDOWS_TO_DROP 2

int census_init(struct census *c, pid_t pid, const struct golayout *layout,
		const struct gotypes *types, uint64_t load_bias, struct registry *reg)
{
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->layout = layout;
	c->types = types;
	c->load_bias = load_bias;
	c->reg = reg;
	c->cfg = reg->cfg;
	c->interval = 1.0;
	c->sample_keys = true;
	if (sightings_init(&c->sightings) || groups_init(&c->groups, reg->cfg) ||
	    addr_sample_init(&c->leaves, CENSUS_NESTED_SAMPLE)) {
		census_free(c);
		return -ENOMEM;
	}
	return 0;
}

void census_free(struct census *c)
{
	free(c->addrs);
	free(c->headers);
	free(c->ok);
	addr_sample_free(&c->leaves);
	groups_free(&c->groups);
	sightings_free(&c->sightings);
	memset(c, 0, sizeof(*c));
}

/* Grows the scratch arrays (addrs, headers, ok) to hold n. */
static int census_scratch_reserve(struct census *c, size_t n)
{
	uint64_t *addrs;
	struct map_header *headers;
	bool *ok;

	if (n <= c->cap)
		return 0;
	addrs = realloc(c->addrs, n * sizeof(*addrs));
	if (addrs)
		c->addrs = addrs;
	headers = realloc(c->headers, n * sizeof(*headers));
	if (headers)
		c->headers = headers;
	ok = realloc(c->ok, n * sizeof(*ok));
	if (ok)
		c->ok = ok;
	if (!addrs || !headers || !ok)
		return -ENOMEM;
	c->cap = n;
	return 0;
}

/*
 * Every round asks each tracked map's type two or three times (sample,
 * evaluate, keys), and a program has few map types: a small direct-mapped
 * cache keeps the descriptor reads out of the per-map loop.
 */
int census_map_type(struct census *c, const struct tracked_map *m, struct go_map_type *mt)
{
	struct census_type *slot;

	if (!m->id.type)
		return -ENOENT;
	slot = &c->type_cache[(m->id.type >> 3) % CENSUS_TYPE_CACHE];
	if (slot->type != m->id.type) {
		slot->type = m->id.type;
		slot->err = gotypes_map(c->types, c->layout->impl, m->id.type - c->load_bias,
					&slot->mt);
	}
	*mt = slot->mt;
	return slot->err;
}

bool census_type_is_nested(const struct census *c, uint64_t type)
{
	struct go_map_type mt;

	return type && !gotypes_map(c->types, c->layout->impl, type - c->load_bias, &mt) &&
	       mt.elem_kind == GO_KIND_MAP;
}

/* Bytes a map's storage holds: buckets (old and overflow too) or groups and tables. */
uint64_t census_estimate_bytes(enum go_map_impl impl, const struct go_map_type *mt,
			       const struct map_header *h)
{
	uint64_t groups, tables;

	if (impl == GO_MAP_CLASSIC) {
		uint64_t buckets = h->buckets ? 1ull << h->b : 0;

		if (h->growing)
			buckets += h->same_size_grow || !h->b ? 1ull << h->b : 1ull << (h->b - 1);
		return CLASSIC_HMAP + (buckets + h->noverflow) * mt->storage_size;
	}
	groups = h->capacity / 8;
	tables = h->dir_len ? (h->capacity + SWISS_TABLE_SLOTS - 1) / SWISS_TABLE_SLOTS : 0;
	return CLASSIC_HMAP + groups * mt->storage_size + h->dir_len * 8 + tables * SWISS_TABLE;
}

uint64_t census_growth_bytes(const struct census *c, const struct gml_event *e)
{
	struct go_map_type mt;
	uint64_t groups;

	if (!e->type || gotypes_map(c->types, c->layout->impl, e->type - c->load_bias, &mt))
		return 0;
	switch (e->grow_kind) {
	case GML_GROW_CLASSIC_DOUBLE:
		return mt.storage_size << (e->b_before + 1);
	case GML_GROW_CLASSIC_SAME_SIZE:
		return mt.storage_size << e->b_before;
	case GML_GROW_SWISS_TO_SMALL:
		return mt.storage_size;
	default:
		/* Swiss: the new table's groups; a split makes two of the old capacity. */
		groups = e->capacity_after / 8;
		if (e->grow_kind == GML_GROW_SWISS_TABLE_SPLIT)
			groups *= 2;
		return groups * mt.storage_size + SWISS_TABLE;
	}
}

/*
 * Whether a changed seed is the same map rather than a new map at the
 * address: Go re-seeds a map when delete empties it and on clear(m), keeping
 * its storage (and bumping clearSeq where there is one); a new map brings
 * its own.
 */
static bool same_map(const struct golayout *layout, const struct map_header *before,
		     const struct map_header *now)
{
	if (layout->clear_seq_off >= 0 && now->clear_seq > before->clear_seq)
		return true;
	if (layout->impl == GO_MAP_CLASSIC)
		return now->buckets && now->buckets == before->buckets && now->b == before->b;
	return now->dir_ptr && now->dir_ptr == before->dir_ptr && now->dir_len == before->dir_len;
}

/*
 * A classic map whose bucket array moved while its B and seed stayed had a
 * same-size grow (doubling changes B, a clear the seed, and reuses the
 * array): seen from its header when no growth event told, as when growth
 * probes are in bursts. Only from CENSUS_HEADER_CHURN_B: small maps on
 * goroutine stacks (requests') come and go at one address, and a copy left
 * by a moved stack passes for the same map with other buckets. And only with
 * an entry a bucket or more, before and after: 2^B overflow buckets (what
 * triggers the grow) take full buckets, and a map with fewer entries than
 * buckets has few of those at any time, so a header that says otherwise is
 * not a map's (a reused stack's words read at a tracked address). Never for
 * a map its growth events found on a goroutine's stack: once that stack
 * moved, whatever the next goroutine keeps there is read in its place.
 */
static bool grew_same_size_unseen(const struct census *c, const struct tracked_map *m,
				  const struct map_header *h)
{
	const struct map_header *was = &m->sample.hdr;

	return c->layout->impl == GO_MAP_CLASSIC && m->sample.sampled && !m->origin.on_stack &&
	       h->b >= CENSUS_HEADER_CHURN_B && m->sample.grows == m->sample.grows_at_sample &&
	       h->seed == was->seed && h->b == was->b && h->buckets && was->buckets &&
	       h->buckets != was->buckets && h->count >= 1ull << h->b &&
	       was->count >= 1ull << was->b;
}

/*
 * Whether a classic map's last growth event is ahead of its header: the
 * event leaves at hashGrow's entry, before the new bucket array (megabytes
 * for a big map) is allocated and B bumped, so a sample can read the old
 * header after the event was read.
 */
static bool growth_ahead_of_header(const struct census *c, const struct tracked_map *m,
				   const struct map_header *h)
{
	return c->layout->impl == GO_MAP_CLASSIC && m->sample.grows != m->sample.grows_at_sample &&
	       m->sample.grown_b > (int)h->b;
}

static void take_sample(struct census *c, struct tracked_map *m, struct map_header *h)
{
	bool grew = m->sample.grows != m->sample.grows_at_sample || m->sample.growth_unread;
	struct go_map_type mt;

	/*
	 * A map that grew since the last sample has new storage: its growth
	 * events, not its storage, say it is the same map (a fill then delete
	 * all can fit between two samples).
	 */
	if (m->sample.sampled && h->seed != m->sample.hdr.seed && !grew &&
	    !same_map(c->layout, &m->sample.hdr, h))
		registry_restart_verdict(m);
	/*
	 * Either way it was emptied or replaced: its group counts it afresh. A
	 * leaking map keeps its seed; a request's map freed and made again at the
	 * same address does not.
	 */
	if (m->sample.sampled && h->seed != m->sample.hdr.seed)
		m->member.in_window = m->member.tenured = false;
	if (grew_same_size_unseen(c, m, h))
		m->sample.same_size_grows++;
	/* Its storage is the grown one from the next sample on: that one counts as grown too. */
	m->sample.growth_unread = growth_ahead_of_header(c, m, h);
	m->sample.grows_at_sample = m->sample.grows;
	if (c->layout->impl == GO_MAP_SWISS && sampler_swiss_capacity(c->pid, h, &h->capacity))
		h->capacity = m->sample.hdr.capacity; /* a table moved under us: keep the last */
	if (m->sample.sampled && h->capacity != m->sample.hdr.capacity)
		m->sample.storage_moved = true;
	if (!census_map_type(c, m, &mt))
		m->sample.bytes = census_estimate_bytes(c->layout->impl, &mt, h);
	m->sample.hdr = *h;
	m->sample.sampled = true;
	m->sample.bad_reads = 0;
	if (h->count > m->sample.peak)
		m->sample.peak = h->count;
	if (h->count > m->sample.window_peak)
		m->sample.window_peak = h->count;
}

/*
 * Reads the headers of n maps into the scratch arrays; ok says which
 * validated. The addresses are n words stride bytes apart from first: a
 * plain array, or a field of an array of structs.
 */
int census_read_headers(struct census *c, const uint64_t *first, size_t stride, size_t n)
{
	const char *at = (const char *)first;
	int err = census_scratch_reserve(c, n);
	size_t i;

	if (err)
		return err;
	for (i = 0; i < n; i++)
		memcpy(&c->addrs[i], at + i * stride, sizeof(c->addrs[i]));
	err = sampler_read_headers(c->pid, c->layout, c->addrs, n, c->headers, c->ok);
	return err < 0 ? err : 0;
}

static void report(struct census *c, struct tracked_map *m, enum alert_kind kind,
		   enum detector_state before)
{
	enum detector_state state = m->verdict.rules[kind].state;
	struct go_map_type mt;

	/* Read again at each alert: a map being emptied shows what it keeps. */
	if (c->sample_keys && state != DETECTOR_RESOLVED && !census_map_type(c, m, &mt))
		m->verdict.nkeys = keys_sample(c->pid, c->layout->impl, &mt, &m->sample.hdr,
					       m->verdict.keys, REGISTRY_MAX_KEYS);
	detector_stats_count(&c->stats, kind, state);
	if (c->on_alert)
		c->on_alert(c->ctx, m, kind, before);
}

/*
 * Whether a classic map's header B is the one its own last growth event gave
 * it: a freed map's reused memory can read as a valid header with any B.
 */
static bool header_b_known(enum go_map_impl impl, const struct tracked_map *m)
{
	return impl == GO_MAP_CLASSIC && m->sample.grown_b >= 0 &&
	       m->sample.hdr.b == (unsigned int)m->sample.grown_b;
}

/*
 * Entries a map's storage was grown for, from its header alone, when the
 * header is known to be the live map's: a freed map's reused memory can
 * read as a valid header, as steady as a bloated map no longer written.
 * Classic maps grow past 6.5 an average bucket, when B is the one the map's
 * own last growth event (or a burst's write) gave it; Swiss tables past 7/8
 * of their slots, when the capacity is the one read as a burst saw the map
 * written. Otherwise 0: the header rule does not apply.
 */
static uint64_t sized_for(enum go_map_impl impl, const struct tracked_map *m)
{
	const struct map_header *h = &m->sample.hdr;

	if (impl == GO_MAP_SWISS)
		return m->sample.pinned_capacity && h->capacity == m->sample.pinned_capacity
			       ? h->capacity / 8 * 7
			       : 0;
	if (!header_b_known(impl, m))
		return 0;
	return h->b < 58 ? (13ull << h->b) / 2 : 0;
}

static void close_window(struct census *c, struct tracked_map *m, bool nested)
{
	const struct detector_window *w = &m->verdict.series.last;
	const struct map_header *h = &m->sample.hdr;
	const struct detector_evidence ev = {
		.nested = nested,
		.grouped = !nested,
		.classic = c->layout->impl == GO_MAP_CLASSIC,
		.peak = m->sample.peak,
		.window_peak = m->sample.window_peak,
		.capacity = h->capacity,
		.sized_for = m->sample.storage_moved ? 0 : sized_for(c->layout->impl, m),
		.b = h->b,
		.noverflow = header_b_known(c->layout->impl, m) ? h->noverflow : 0,
		.same_size_grows = m->sample.same_size_grows,
	};
	struct detector_changes changes;
	enum alert_kind k;

	m->verdict.windows++;
	m->verdict.rate = detector_window_rate(w);
	if (c->estimates)
		op_estimates_close_window(c->estimates, &m->ops);
	detector_close_window(c->cfg, w, &ev, m->verdict.rules, &changes);
	for (k = 0; k < ALERT_KINDS; k++)
		if (changes.changed & (1u << k))
			report(c, m, k, changes.before[k]);
	m->verdict.idle_windows = m->sample.changed ? 0 : m->verdict.idle_windows + 1;
	m->sample.changed = false;
	m->sample.same_size_grows = 0;
	m->sample.storage_moved = false;
	m->sample.window_peak = h->count;
}

static void evaluate(struct census *c, struct tracked_map *m, double now)
{
	struct go_map_type mt;
	bool nested;
	uint64_t value = m->sample.hdr.count;

	if (m->id.parent)
		return; /* counted in its outer map's inner totals */
	nested = !census_map_type(c, m, &mt) && mt.elem_kind == GO_KIND_MAP;
	m->nested.is_outer = nested;
	if (nested && !census_measure_nested(c, m, &mt))
		value = m->nested.totals.entries;
	if (m->id.shadow)
		return;
	if (value != m->sample.value)
		m->sample.changed = true;
	m->sample.value = value;
	if (detector_series_add(&m->verdict.series, c->cfg, value, now))
		close_window(c, m, nested);
}

/* Dropped: headers that stopped validating (freed, moved with a stack), stale copies, idle maps. */
static bool should_drop(const struct tracked_map *m, void *ctx)
{
	(void)ctx;
	if (m->sample.bad_reads >= BAD_READS_TO_DROP || m->id.shadow)
		return true;
	return m->verdict.idle_windows >= IDLE_WINDOWS_TO_DROP &&
	       !detector_alerting(m->verdict.rules);
}

static void report_group(void *data, struct site_group *g, enum alert_kind kind,
			 enum detector_state before)
{
	struct census *c = data;
	enum detector_state state = g->rules[kind].state;
	struct tracked_map *biggest = registry_find(c->reg, g->biggest[0]);
	struct go_map_type mt;

	if (c->sample_keys && state != DETECTOR_RESOLVED && biggest &&
	    !census_map_type(c, biggest, &mt))
		g->nkeys = keys_sample(c->pid, c->layout->impl, &mt, &biggest->sample.hdr, g->keys,
				       REGISTRY_MAX_KEYS);
	detector_stats_count(&c->stats, kind, state);
	if (c->on_group_alert)
		c->on_group_alert(c->ctx, g, kind, before);
}

/* Maps judged with their site group: every sampled plain map at the top level. */
static bool in_a_group(const struct tracked_map *m)
{
	return m->sample.sampled && !m->sample.bad_reads && !m->id.parent && !m->id.shadow &&
	       !m->nested.is_outer;
}

/* The groups' round, once every map has been sampled and judged on its own. */
static void round_groups(struct census *c, double now)
{
	struct registry *r = c->reg;
	uint32_t i;

	groups_begin_round(&c->groups);
	for (i = 0; i < r->nmaps; i++)
		if (in_a_group(&r->maps[i]))
			groups_add_member(&c->groups, &r->maps[i]);
	groups_end_round(&c->groups, now, report_group, c);
	for (i = 0; i < r->nmaps; i++)
		if (in_a_group(&r->maps[i]))
			groups_rebase_member(&c->groups, &r->maps[i]);
}

/* Reads every tracked map's header; a map whose header does not validate counts a bad read. */
static int sample_maps(struct census *c)
{
	struct registry *r = c->reg;
	uint32_t i, n = r->nmaps;
	int err;

	if (!n)
		return 0;
	err = census_read_headers(c, &r->maps[0].id.addr, sizeof(r->maps[0]), n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (c->ok[i])
			take_sample(c, &r->maps[i], &c->headers[i]);
		else
			r->maps[i].sample.bad_reads++;
	}
	return 0;
}

int census_round(struct census *c, double now)
{
	struct registry *r = c->reg;
	uint32_t i;
	int err = census_discover_maps(c, now);

	if (!err)
		err = sample_maps(c);
	if (err)
		return err;
	/* Walks reuse the scratch arrays: evaluate only once every sample is taken. */
	for (i = 0; i < r->nmaps; i++)
		if (r->maps[i].sample.sampled && !r->maps[i].sample.bad_reads)
			evaluate(c, &r->maps[i], now);
	round_groups(c, now);
	registry_sweep(r, should_drop, c);
	c->rounds++;
	return 0;
}
