/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd byte buffers: one contiguous, growable FIFO of bytes, used for a
 * connection's input and its output queue. Data lives in [head, tail) of
 * data[]; space is reclaimed by moving the live bytes to the front when the
 * front gap gets large, so the buffer never grows past live + one message.
 */
#ifndef RMEMD_BUF_H
#define RMEMD_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rmem_buf {
	uint8_t *data;
	size_t head;
	size_t tail;
	size_t cap;
};

static inline size_t rmem_buf_len(const struct rmem_buf *b)
{
	return b->tail - b->head;
}

static inline uint8_t *rmem_buf_start(const struct rmem_buf *b)
{
	return b->data + b->head;
}

/* Keep only the first @len bytes (at most rmem_buf_len()); drops a tail. */
static inline void rmem_buf_truncate(struct rmem_buf *b, size_t len)
{
	b->tail = b->head + len;
	if (b->head == b->tail)
		b->head = b->tail = 0;
}

void *rmem_buf_reserve(struct rmem_buf *b, size_t n);
void rmem_buf_commit(struct rmem_buf *b, size_t n);
void *rmem_buf_append(struct rmem_buf *b, size_t n);
void rmem_buf_consume(struct rmem_buf *b, size_t n);
void rmem_buf_trim(struct rmem_buf *b, size_t keep_cap);
void rmem_buf_free(struct rmem_buf *b);

#endif
