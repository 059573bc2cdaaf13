// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd byte buffers; see buf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/**
 * rmem_buf_reserve() - make room for @n more bytes at the tail
 * @b: buffer
 * @n: bytes wanted
 *
 * Return: pointer to the free space (commit what was filled with
 * rmem_buf_commit()), or NULL when memory is short.
 */
void *rmem_buf_reserve(struct rmem_buf *b, size_t n)
{
	size_t live = b->tail - b->head;

	if (b->cap - b->tail >= n)
		return b->data + b->tail;
	if (b->head && b->cap - live >= n) {
		memmove(b->data, b->data + b->head, live);
		b->head = 0;
		b->tail = live;
		return b->data + b->tail;
	}

	size_t cap = b->cap ? b->cap : 4096;
	while (cap - live < n) {
		if (cap > SIZE_MAX / 2)
			return NULL;
		cap *= 2;
	}
	uint8_t *d = malloc(cap);
	if (!d)
		return NULL;
	if (live)
		memcpy(d, b->data + b->head, live);
	free(b->data);
	b->data = d;
	b->cap = cap;
	b->head = 0;
	b->tail = live;
	return b->data + b->tail;
}

/**
 * rmem_buf_commit() - account @n bytes written into reserved space
 * @b: buffer
 * @n: bytes, at most what was reserved
 */
void rmem_buf_commit(struct rmem_buf *b, size_t n)
{
	b->tail += n;
}

/**
 * rmem_buf_append() - reserve and commit @n bytes in one step
 * @b: buffer
 * @n: bytes
 *
 * Return: pointer to the @n new bytes (to be filled by the caller), or NULL.
 */
void *rmem_buf_append(struct rmem_buf *b, size_t n)
{
	void *p = rmem_buf_reserve(b, n);

	if (p)
		rmem_buf_commit(b, n);
	return p;
}

/**
 * rmem_buf_consume() - drop @n bytes from the head
 * @b: buffer
 * @n: bytes, at most rmem_buf_len()
 */
void rmem_buf_consume(struct rmem_buf *b, size_t n)
{
	b->head += n;
	if (b->head == b->tail)
		b->head = b->tail = 0;
}

/**
 * rmem_buf_trim() - give memory back when the buffer is empty and big
 * @b: buffer
 * @keep_cap: capacity worth keeping around
 */
void rmem_buf_trim(struct rmem_buf *b, size_t keep_cap)
{
	if (b->head == b->tail && b->cap > keep_cap)
		rmem_buf_free(b);
}

/**
 * rmem_buf_free() - release the buffer's memory; it stays usable (empty)
 * @b: buffer
 */
void rmem_buf_free(struct rmem_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->head = b->tail = b->cap = 0;
}
