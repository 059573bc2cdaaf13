// SPDX-License-Identifier: GPL-2.0
/*
 * rmem cluster key files; see rmem-key.h for the format. Every buffer that
 * held key material is wiped with explicit_bzero() before it goes out of
 * scope, on success and on error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rmem-key.h"

static int key_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill @err (if any) and return @ret, a negative errno. */
static int key_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/**
 * rmem_key_parse() - a key from its text form
 * @text: exactly RMEM_KEY_HEX_LEN hex digits (either case), with optional
 *	whitespace before and after; need not be NUL-terminated
 * @len: bytes in @text
 * @key: the key; untouched on failure
 *
 * Return: 0, or -EINVAL for anything else (too few or too many digits, a
 * non-hex byte, whitespace or a NUL inside the digits).
 */
int rmem_key_parse(const char *text, size_t len, uint8_t key[RMEM_AUTH_KEY_LEN])
{
	uint8_t k[RMEM_AUTH_KEY_LEN];
	size_t i = 0, end = len;
	int ret = -EINVAL;

	if (!text)
		return -EINVAL;
	while (i < end && is_space(text[i]))
		i++;
	while (end > i && is_space(text[end - 1]))
		end--;
	if (end - i != RMEM_KEY_HEX_LEN)
		return -EINVAL;
	for (size_t j = 0; j < RMEM_AUTH_KEY_LEN; j++) {
		int hi = hex_val(text[i + 2 * j]), lo = hex_val(text[i + 2 * j + 1]);

		if (hi < 0 || lo < 0)
			goto out_wipe;
		k[j] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, k, sizeof(k));
	ret = 0;
out_wipe:
	explicit_bzero(k, sizeof(k));
	return ret;
}

/**
 * rmem_key_read_file() - read a key file
 * @path: the file; a symbolic link is refused (O_NOFOLLOW)
 * @key: the key; untouched on failure
 * @err: on failure, one line saying why (no key material)
 * @errlen: size of @err
 *
 * The file must be a regular file with no permission bits for group or
 * others, and at most RMEM_KEY_FILE_MAX bytes.
 *
 * Return: 0; -EPERM for a group- or world-accessible file; -EINVAL for a
 * file that is not a regular file or does not hold a key; or the -errno of
 * open(), fstat() or read().
 */
int rmem_key_read_file(const char *path, uint8_t key[RMEM_AUTH_KEY_LEN], char *err,
		       size_t errlen)
{
	char buf[RMEM_KEY_FILE_MAX + 1];
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP)
			return key_err(err, errlen, ret,
				       "key file %s: is a symbolic link (not followed)", path);
		return key_err(err, errlen, ret, "key file %s: %s", path, strerror(-ret));
	}
	if (fstat(fd, &st)) {
		ret = key_err(err, errlen, -errno, "key file %s: %s", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = key_err(err, errlen, -EINVAL, "key file %s: not a regular file", path);
		goto out_close;
	}
	if (st.st_mode & 077) {
		ret = key_err(err, errlen, -EPERM,
			      "key file %s: mode %04o lets other users read or change it; chmod 600 %s",
			      path, (unsigned int)(st.st_mode & 07777), path);
		goto out_close;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = key_err(err, errlen, -errno, "key file %s: %s", path,
				      strerror(errno));
			goto out_wipe;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > RMEM_KEY_FILE_MAX) {
		ret = key_err(err, errlen, -EINVAL, "key file %s: larger than %d bytes: not a key file",
			      path, RMEM_KEY_FILE_MAX);
		goto out_wipe;
	}
	ret = rmem_key_parse(buf, len, key);
	if (ret)
		key_err(err, errlen, ret,
			"key file %s: not a key (expected exactly %d hex digits and a newline)",
			path, RMEM_KEY_HEX_LEN);
out_wipe:
	explicit_bzero(buf, sizeof(buf));
out_close:
	close(fd);
	return ret;
}

/**
 * rmem_key_generate() - draw a new random key
 * @key: the key
 *
 * Return: 0, or the -errno of getrandom().
 */
int rmem_key_generate(uint8_t key[RMEM_AUTH_KEY_LEN])
{
	size_t got = 0;

	while (got < RMEM_AUTH_KEY_LEN) {
		ssize_t n = getrandom(key + got, RMEM_AUTH_KEY_LEN - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return 0;
}

/**
 * rmem_key_write_file() - write a new key file
 * @path: created with mode 0600; an existing file (or link) is never
 *	overwritten
 * @key: the key
 * @err: on failure, one line saying why (no key material)
 * @errlen: size of @err
 *
 * A file that could not be written whole is removed again.
 *
 * Return: 0, or a negative errno (-EEXIST: @path exists).
 */
int rmem_key_write_file(const char *path, const uint8_t key[RMEM_AUTH_KEY_LEN], char *err,
			size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	char buf[RMEM_KEY_HEX_LEN + 1];
	size_t off = 0;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EEXIST)
			return key_err(err, errlen, ret,
				       "key file %s: exists; not overwriting it", path);
		return key_err(err, errlen, ret, "key file %s: %s", path, strerror(-ret));
	}
	/* The umask may only have taken bits away; make it exactly 0600. */
	if (fchmod(fd, 0600)) {
		ret = key_err(err, errlen, -errno, "key file %s: chmod: %s", path,
			      strerror(errno));
		goto out_unlink;
	}
	for (size_t i = 0; i < RMEM_AUTH_KEY_LEN; i++) {
		buf[2 * i] = hex[key[i] >> 4];
		buf[2 * i + 1] = hex[key[i] & 15];
	}
	buf[RMEM_KEY_HEX_LEN] = '\n';
	while (off < sizeof(buf)) {
		ssize_t n = write(fd, buf + off, sizeof(buf) - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = key_err(err, errlen, n < 0 ? -errno : -EIO, "key file %s: write: %s",
				      path, n < 0 ? strerror(errno) : "no progress");
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (fsync(fd)) {
		ret = key_err(err, errlen, -errno, "key file %s: fsync: %s", path,
			      strerror(errno));
		goto out_unlink;
	}
	explicit_bzero(buf, sizeof(buf));
	if (close(fd))
		return key_err(err, errlen, -errno, "key file %s: close: %s", path,
			       strerror(errno));
	return 0;

out_unlink:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	unlink(path);
	return ret;
}

/**
 * rmem_key_format_id() - a key id as it is printed and logged
 * @id: key id
 * @out: 16 lowercase hex digits and a NUL
 */
void rmem_key_format_id(uint64_t id, char out[RMEM_KEY_ID_STR_LEN])
{
	snprintf(out, RMEM_KEY_ID_STR_LEN, "%016llx", (unsigned long long)id);
}
