// SPDX-License-Identifier: GPL-2.0
/*
 * abi.Type (runtime._type before 1.21) is 48 bytes in every version: Size_ at
 * 0, TFlag at 20, Kind_ at 23, Str (a NameOff from moduledata.types) at 40.
 * A name is a flags byte, a uvarint length and the bytes; with TFlagExtraStar
 * the stored string has a leading '*' that the type's name does not.
 * Map types add Key at 48 and Elem at 56, then implementation-specific sizes.
 * (Go's internal/abi/type.go and map_*.go at each release tag; pinned by
 * tests/unit/test_gotypes.c on real binaries.)
 */
#include "gotypes.h"
#include "bytes.h"

#include <errno.h>
#include <string.h>

#include "varint.h"

#define TYPE_SIZE	       0
#define TYPE_TFLAG	       20
#define TYPE_KIND	       23
#define TYPE_STR	       40
#define TYPE_HEADER_SIZE       48
#define TFLAG_EXTRA_STAR       2
#define KIND_MASK	       0x1f
#define MAPTYPE_KEY	       48
#define MAPTYPE_ELEM	       56
#define CLASSIC_BUCKETSIZE     82
#define CLASSIC_KEYSIZE	       80
#define CLASSIC_VALUESIZE      81
#define CLASSIC_FLAGS	       84
#define SWISS_ELEMOFF	       96
#define SWISS_FLAGS	       104
#define SWISS_ELEMSOFF_127     104
#define SWISS_ELEMSTRIDE_127   112
#define SWISS_FLAGS_127	       128
#define SWISS_GROUPSIZE	       80
#define SWISS_SLOTSIZE	       88 /* Go 1.24-1.26 */
#define SWISS_KEYSOFF_127      88
#define SWISS_KEYSTRIDE_127    96
#define MAPTYPE_SIZE_CLASSIC   88
#define MAPTYPE_SIZE_SWISS     112
#define MAPTYPE_SIZE_SWISS_127 136
#define NAME_MAX_READ	       4096

void gotypes_init(struct gotypes *gt, const struct goelf *ge, const struct moduledata *md,
		  int go_minor)
{
	gt->ge = ge;
	gt->types = md->types;
	gt->go_minor = go_minor;
}

int gotypes_name(const struct gotypes *gt, uint64_t typ, char *buf, size_t len)
{
	const uint8_t *t = goelf_bytes_at(gt->ge, typ, TYPE_HEADER_SIZE), *name;
	uint64_t nlen;
	int32_t nameoff;
	size_t pos = 1, avail;

	if (!t || !len)
		return -EFAULT;
	memcpy(&nameoff, t + TYPE_STR, sizeof(nameoff));
	if (nameoff <= 0)
		return -ENOENT;
	name = goelf_bytes_at(gt->ge, gt->types + (uint64_t)nameoff, 1);
	if (!name)
		return -EFAULT;
	/* Bytes available from name to the end of the file, capped. */
	avail = gt->ge->size - (size_t)(name - gt->ge->image);
	if (avail > NAME_MAX_READ)
		avail = NAME_MAX_READ;
	if (uvarint_read(name, avail, &pos, &nlen) || nlen > avail - pos)
		return -EINVAL;
	if ((t[TYPE_TFLAG] & TFLAG_EXTRA_STAR) && nlen > 0 && name[pos] == '*') {
		pos++;
		nlen--;
	}
	if (nlen >= len)
		nlen = len - 1;
	memcpy(buf, name + pos, nlen);
	buf[nlen] = '\0';
	return 0;
}

static int type_size_kind(const struct gotypes *gt, uint64_t typ, uint64_t *size, uint8_t *kind)
{
	const uint8_t *t = goelf_bytes_at(gt->ge, typ, TYPE_HEADER_SIZE);

	if (!t)
		return -EFAULT;
	*size = le64(t + TYPE_SIZE);
	*kind = t[TYPE_KIND] & KIND_MASK;
	return 0;
}

/*
 * Where elements sit. Classic bucket: 8 tophash bytes, 8 keys of KeySize,
 * 8 elements of ValueSize (u8s at 80, 81; flags at 84, 1 = indirect key,
 * 2 = indirect elem).
 * Swiss 1.24-1.26 group: ctrl word, 8 slots of SlotSize, element at ElemOff
 * (96) within a slot, the key first (flags at 104, 4 = indirect key, 8 =
 * indirect elem). Swiss 1.27: key i at KeysOff (88) + i * KeyStride (96),
 * element i at ElemsOff (104) + i * ElemStride (112) (flags at 128).
 */
static void map_storage(const struct gotypes *gt, enum go_map_impl impl, const uint8_t *mt,
			struct go_map_type *out)
{
	uint16_t bucket;

	if (impl == GO_MAP_CLASSIC) {
		memcpy(&bucket, mt + CLASSIC_BUCKETSIZE, sizeof(bucket));
		out->storage_size = bucket;
		out->slot_size = 0;
		out->keys_off = 8;
		out->key_stride = mt[CLASSIC_KEYSIZE];
		out->indirect_key = le32(mt + CLASSIC_FLAGS) & 1;
		out->elems_off = 8 + 8ull * mt[CLASSIC_KEYSIZE];
		out->elem_stride = mt[CLASSIC_VALUESIZE];
		out->indirect_elem = le32(mt + CLASSIC_FLAGS) & 2;
		return;
	}
	out->storage_size = le64(mt + SWISS_GROUPSIZE);
	if (gt->go_minor >= 27) {
		out->slot_size = le64(mt + SWISS_KEYSTRIDE_127);
		out->keys_off = le64(mt + SWISS_KEYSOFF_127);
		out->key_stride = out->slot_size;
		out->indirect_key = le32(mt + SWISS_FLAGS_127) & 4;
		out->elems_off = le64(mt + SWISS_ELEMSOFF_127);
		out->elem_stride = le64(mt + SWISS_ELEMSTRIDE_127);
		out->indirect_elem = le32(mt + SWISS_FLAGS_127) & 8;
		return;
	}
	out->slot_size = le64(mt + SWISS_SLOTSIZE);
	out->keys_off = 8;
	out->key_stride = out->slot_size;
	out->indirect_key = le32(mt + SWISS_FLAGS) & 4;
	out->elems_off = 8 + le64(mt + SWISS_ELEMOFF);
	out->elem_stride = out->slot_size;
	out->indirect_elem = le32(mt + SWISS_FLAGS) & 8;
}

static size_t maptype_size(const struct gotypes *gt, enum go_map_impl impl)
{
	if (impl == GO_MAP_CLASSIC)
		return MAPTYPE_SIZE_CLASSIC;
	return gt->go_minor >= 27 ? MAPTYPE_SIZE_SWISS_127 : MAPTYPE_SIZE_SWISS;
}

int gotypes_map(const struct gotypes *gt, enum go_map_impl impl, uint64_t typ,
		struct go_map_type *out)
{
	const uint8_t *mt = goelf_bytes_at(gt->ge, typ, maptype_size(gt, impl));
	int err;

	memset(out, 0, sizeof(*out));
	if (!mt)
		return -EFAULT;
	if ((mt[TYPE_KIND] & KIND_MASK) != GO_KIND_MAP)
		return -EINVAL;
	out->key = le64(mt + MAPTYPE_KEY);
	out->elem = le64(mt + MAPTYPE_ELEM);
	err = type_size_kind(gt, out->key, &out->key_size, &out->key_kind);
	if (!err)
		err = type_size_kind(gt, out->elem, &out->elem_size, &out->elem_kind);
	if (!err)
		map_storage(gt, impl, mt, out);
	return err;
}
