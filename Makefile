# tern build. `make run` starts the dev demo; `make check` runs every test under ASan+UBSan.
# Two build trees: build/release (make, make run, make bench) and build/check (sanitizers).

CC ?= gcc
PYTHON := /usr/bin/python3
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
PACKAGES := libevent libevent_pthreads libevent_openssl openssl libunbound libpsl libcurl
PKG_CFLAGS = $(shell pkg-config --cflags $(PACKAGES) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PACKAGES) 2>/dev/null) -lcrypt -lpthread
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -Isrc -MMD -MP $(WARNINGS) $(PKG_CFLAGS)
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

MODE ?= release
ifeq ($(MODE),check)
MODE_CFLAGS := -O1 -g $(SANITIZE)
MODE_LDFLAGS := $(SANITIZE)
else
MODE_CFLAGS := -O2 -g
MODE_LDFLAGS :=
endif
OUT := build/$(MODE)
CFLAGS_ALL = $(BASE_CFLAGS) $(MODE_CFLAGS) $(CFLAGS)

# The util modules that pure code may use (workpool.c needs libevent, so it is not one).
UTIL_SOURCES := src/util/buffer.c src/util/xalloc.c src/util/log.c src/util/files.c src/util/address_key.c src/util/group_sync.c
LIBRARY_SOURCES := $(filter-out src/cmd/%,$(wildcard src/*/*.c))
objects = $(patsubst %.c,$(OUT)/obj/%.o,$(1))

# Unit tests: tests/unit/test_NAME.c links util/ and only the module sources listed here,
# so the link line proves the module depends on nothing else. Every unit_NAME is a test (one
# line each, so parallel additions merge cleanly).
unit_buffer :=
unit_files :=
unit_address := src/smtp/address.c
unit_command := src/smtp/command.c src/smtp/address.c
unit_data_decoder := src/smtp/data_decoder.c
unit_config := src/conf/config.c src/conf/config_directives.c src/conf/config_values.c src/conf/config_lexer.c src/conf/users_file.c src/conf/aliases_file.c src/conf/domain_file.c src/smtp/address.c src/conf/config_relay.c
unit_envelope := src/queue/envelope.c
unit_spool := src/queue/spool.c src/queue/spool_commit.c src/queue/spool_scan.c src/queue/envelope.c src/queue/spool_recycle.c
unit_spool_recycle := src/queue/spool.c src/queue/spool_commit.c src/queue/spool_scan.c src/queue/envelope.c src/queue/spool_recycle.c
unit_commit_queue := src/queue/commit_queue.c src/queue/spool.c src/queue/spool_commit.c src/queue/spool_scan.c src/queue/envelope.c src/queue/spool_recycle.c src/util/workpool.c
unit_maildir := src/deliver/maildir.c
unit_header_fields := src/mailauth/header_fields.c
unit_address_list := src/mailauth/address_list.c src/smtp/address.c
unit_tls := src/net/tls.c
unit_base64 := src/util/base64.c
unit_sasl := src/smtp/sasl.c src/util/base64.c
unit_password := src/policy/password.c
unit_auth_throttle := src/policy/auth_throttle.c
unit_route := src/deliver/route_order.c
unit_rdata := src/dns/rdata.c
unit_client_replies := src/smtp/client_replies.c
unit_bounce := src/deliver/bounce.c src/mailauth/header_fields.c
unit_dkim_canon := src/mailauth/dkim_canon.c
unit_dkim_signature := src/mailauth/dkim_signature.c src/mailauth/dkim_tag_list.c src/mailauth/header_fold.c src/util/base64.c
unit_header_writer := src/mailauth/header_writer.c src/util/base64.c
unit_destination_limits := src/deliver/destination_limits.c
unit_dkim_tag_list := src/mailauth/dkim_tag_list.c
unit_dkim_key := src/mailauth/dkim_key.c src/mailauth/dkim_tag_list.c src/util/base64.c
unit_dkim_check := src/mailauth/dkim_check.c src/mailauth/dkim_key.c src/mailauth/dkim_signature.c src/mailauth/header_fold.c \
	src/mailauth/dkim_tag_list.c src/mailauth/dkim_canon.c src/mailauth/dkim_sign.c src/mailauth/header_fields.c src/util/base64.c
unit_dmarc_record := src/mailauth/dmarc_record.c src/mailauth/dkim_tag_list.c
unit_org_domain := src/mailauth/org_domain.c
unit_authentication_results := src/mailauth/authentication_results.c src/mailauth/header_fold.c src/mailauth/header_fields.c
unit_dmarc_from := src/mailauth/dmarc_from.c src/mailauth/header_fields.c src/mailauth/address_list.c src/smtp/address.c
unit_dmarc_policy := src/mailauth/dmarc_policy.c src/mailauth/dmarc_record.c src/mailauth/dkim_tag_list.c src/mailauth/org_domain.c
unit_mta_sts := src/check/mta_sts.c
unit_dynamic_name := src/check/dynamic_name.c src/check/dnsbl_codes.c
unit_findings := src/check/findings.c
unit_spf_macro := src/mailauth/spf_macro.c
unit_spf_record := src/mailauth/spf_record.c src/mailauth/spf_macro.c
UNIT_TESTS = $(sort $(patsubst unit_%,%,$(filter unit_%,$(.VARIABLES))))

# Fuzz harnesses: fuzz/fuzz_NAME.c over these sources; fuzz/corpus/NAME/ is the seed corpus.
fuzz_address := src/smtp/address.c
fuzz_command := src/smtp/command.c src/smtp/address.c
fuzz_data_decoder := src/smtp/data_decoder.c
fuzz_envelope := src/queue/envelope.c
fuzz_header_fields := src/mailauth/header_fields.c
fuzz_address_list := src/mailauth/address_list.c src/smtp/address.c
fuzz_sasl := src/smtp/sasl.c src/util/base64.c
fuzz_client_replies := src/smtp/client_replies.c
fuzz_dkim_signature := src/mailauth/dkim_signature.c src/mailauth/dkim_tag_list.c src/mailauth/header_fold.c src/util/base64.c
fuzz_rdata := src/dns/rdata.c
fuzz_dkim_canon := src/mailauth/dkim_canon.c
fuzz_dkim_key := src/mailauth/dkim_key.c src/mailauth/dkim_tag_list.c src/util/base64.c
fuzz_dkim_check := $(unit_dkim_check)
fuzz_dkim_tag_list := src/mailauth/dkim_tag_list.c
fuzz_dmarc_record := src/mailauth/dmarc_record.c src/mailauth/dkim_tag_list.c
fuzz_authentication_results := src/mailauth/authentication_results.c src/mailauth/header_fold.c src/mailauth/header_fields.c
fuzz_mta_sts := src/check/mta_sts.c
fuzz_spf_record := src/mailauth/spf_record.c src/mailauth/spf_macro.c
fuzz_spf_macro := src/mailauth/spf_macro.c
FUZZERS = $(sort $(patsubst fuzz_%,%,$(filter fuzz_%,$(.VARIABLES))))
FUZZ_SECONDS ?= 60

.PHONY: all run check unit fuzz-replay integration fuzz deps clean bench format
.SECONDEXPANSION:
.SECONDARY:

all: deps
	@$(MAKE) --no-print-directory MODE=release binaries

binaries: $(OUT)/ternd $(OUT)/tern

deps:
	@scripts/install-deps

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(OUT)/ternd: $(call objects,$(LIBRARY_SOURCES) src/cmd/ternd.c)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(OUT)/tern: $(call objects,$(LIBRARY_SOURCES) $(filter-out src/cmd/ternd.c,$(wildcard src/cmd/*.c)))
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(OUT)/tests/test_%: $$(call objects,tests/unit/test_%.c $(UTIL_SOURCES) $$(unit_$$*))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(OUT)/fuzz/replay_%: $$(call objects,fuzz/fuzz_%.c fuzz/replay.c $(UTIL_SOURCES) $$(fuzz_$$*))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Drivers: small mains over one pure module, run by the integration tests.
$(OUT)/tests/bounce_driver: $(call objects,tests/drivers/bounce_driver.c $(UTIL_SOURCES) $(unit_bounce))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The outbound SMTP client alone, driven from the command line by the integration tests.
CLIENT_SESSION_DRIVER_SOURCES := tests/drivers/client_session_driver.c src/smtp/client_session.c \
	src/smtp/client_ehlo.c src/smtp/client_transaction.c src/smtp/client_reuse.c src/smtp/client_replies.c src/net/tls_client.c \
	src/net/tls.c src/util/base64.c $(UTIL_SOURCES)
$(OUT)/tests/client_session_driver: $(call objects,$(CLIENT_SESSION_DRIVER_SOURCES))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The resolver alone, asked from the command line by the integration tests.
$(OUT)/tests/resolver_driver: $(call objects,tests/drivers/resolver_driver.c src/dns/resolver.c src/dns/rdata.c $(UTIL_SOURCES))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# One DMARC check (discovery over the resolver, then the verdict) of a message on stdin.
DMARC_DRIVER_SOURCES := tests/drivers/dmarc_driver.c src/mailauth/dmarc.c src/mailauth/dmarc_policy.c \
	src/mailauth/dmarc_record.c src/mailauth/dkim_tag_list.c src/mailauth/dmarc_from.c src/mailauth/org_domain.c src/mailauth/header_fields.c \
	src/mailauth/address_list.c src/smtp/address.c src/dns/resolver.c src/dns/rdata.c $(UTIL_SOURCES)
$(OUT)/tests/dmarc_driver: $(call objects,$(DMARC_DRIVER_SOURCES))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The Authentication-Results reader over a message on stdin: each field's authserv-id, and what §5 drops.
$(OUT)/tests/authentication_results_driver: $(call objects,tests/drivers/authentication_results_driver.c $(UTIL_SOURCES) $(unit_authentication_results))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# SPF checks side by side and cancelled, on one resolver, for the integration tests.
SPF_DRIVER_SOURCES := tests/drivers/spf_driver.c src/mailauth/spf.c src/mailauth/spf_evaluate.c \
	src/mailauth/spf_validated.c src/mailauth/spf_record.c src/mailauth/spf_macro.c src/dns/resolver.c \
	src/dns/rdata.c $(UTIL_SOURCES)
$(OUT)/tests/spf_driver: $(call objects,$(SPF_DRIVER_SOURCES))
	@mkdir -p $(dir $@)
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

run: all
	@mkdir -p var
	@scripts/dev-certificate var/tls
	@scripts/dev-dns 127.0.0.1:2553 & dns=$$!; trap 'kill $$dns 2>/dev/null' EXIT; \
		build/release/ternd -d -c examples/dev/ternd.conf

# The release build too: `make run` must build (-O2 warns about things -O1 does not see).
check: deps
	@$(MAKE) --no-print-directory MODE=release binaries
	@$(MAKE) --no-print-directory MODE=check unit fuzz-replay integration

unit: $(foreach t,$(UNIT_TESTS),$(OUT)/tests/test_$(t))
	@set -e; for t in $^; do $$t; done

fuzz-replay: $(foreach f,$(FUZZERS),$(OUT)/fuzz/replay_$(f))
	@set -e; for f in $(FUZZERS); do $(OUT)/fuzz/replay_$$f fuzz/corpus/$$f; done

integration: $(OUT)/ternd $(OUT)/tern $(OUT)/tests/bounce_driver $(OUT)/tests/client_session_driver $(OUT)/tests/resolver_driver \
	$(OUT)/tests/dmarc_driver $(OUT)/tests/authentication_results_driver $(OUT)/tests/spf_driver
	TERN_BUILD=$(OUT) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# libFuzzer builds with clang; each harness runs FUZZ_SECONDS, new inputs go to build/fuzz-corpus.
define FUZZ_RULE
build/fuzz/fuzz_$(1): fuzz/fuzz_$(1).c $(UTIL_SOURCES) $(fuzz_$(1))
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $$@ $$^ $(PKG_LIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call FUZZ_RULE,$(f))))

fuzz: deps $(foreach f,$(FUZZERS),build/fuzz/fuzz_$(f))
	@set -e; for f in $(FUZZERS); do mkdir -p build/fuzz-corpus/$$f; \
		build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=build/fuzz/ \
			build/fuzz-corpus/$$f fuzz/corpus/$$f; done

# Side by side with private Postfix, OpenSMTPD and Exim on loopback (QUICK=1: ~2 min); not part of check.
bench: deps
	QUICK=$(QUICK) bench/run.sh

# ternd and tern in $(PREFIX)/sbin, with the sendmail(8) link that cron, PHP and git look for;
# /usr/sbin/sendmail too, but only where no other MTA has put one.
PREFIX ?= /usr/local
.PHONY: install
install:
	@$(MAKE) --no-print-directory MODE=release binaries
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 755 build/release/ternd build/release/tern $(DESTDIR)$(PREFIX)/sbin/
	@link=$(DESTDIR)$(PREFIX)/sbin/sendmail; \
	if [ -e "$$link" -o -L "$$link" ] && [ "$$(readlink "$$link")" != tern ]; then \
		echo "install: $$link is not ours: left alone"; \
	else ln -sfn tern "$$link" && echo "install: $$link -> tern"; fi
	@link=$(DESTDIR)/usr/sbin/sendmail; \
	if [ -e "$$link" -o -L "$$link" ]; then echo "install: $$link exists: left alone"; \
	else install -d $(DESTDIR)/usr/sbin && ln -s $(PREFIX)/sbin/tern "$$link" && \
		echo "install: $$link -> $(PREFIX)/sbin/tern"; fi

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
