# Every target runs with the pinned Node from node_modules first on PATH, whatever Node
# the machine has.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

NODE_STAMP := node_modules/.package-lock.json
TESTS ?= test/*.test.ts

.PHONY: install check test test-e2e demo binary npm-pack bench bench-startup fuzz clean

install: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

check: install
	tsc -p tsconfig.json

test: install
	node --test --test-concurrency=2 $(TESTS)

demo: install
	bash scripts/demo.sh

# Mutated and random tokens through the verifier for FUZZ_SECONDS; prints the count tried.
FUZZ_SECONDS ?= 30
fuzz: install
	node scripts/fuzz.ts --seconds $(FUZZ_SECONDS)

clean:
	rm -rf dist

# The single executable, the npm package and the start-up benchmark. The bundles depend on
# every TypeScript source of the CLI and on package.json, whose version they inline.
BUNDLE_SOURCES := ats-auth.ts package.json $(shell find lib -name '*.ts') scripts/build-bundle.ts

binary: dist/ats-auth

# Also writes dist/ats-auth.sha256 (checked with: cd dist && sha256sum -c ats-auth.sha256).
dist/ats-auth: $(NODE_STAMP) $(BUNDLE_SOURCES) scripts/build-binary.ts
	node scripts/build-binary.ts

# Writes dist/ats-auth-VERSION.tgz, for npm install -g ./dist/ats-auth-VERSION.tgz.
npm-pack: dist/npm/ats-auth.cjs
	npm pack --pack-destination dist

dist/npm/ats-auth.cjs: $(NODE_STAMP) $(BUNDLE_SOURCES) scripts/build-npm.ts
	node scripts/build-npm.ts

bench-startup: dist/ats-auth
	node bench/startup.ts dist/ats-auth

# Every benchmark against a baseline measured in the same run (docs/BENCHMARKS.md): the
# server, login, revocation and codec benchmarks, then start-up of the executable, which
# bench-startup builds first.
bench: install
	@started=$$(date +%s); \
	node bench/run.ts && \
	if [ -f bench/startup.ts ]; then echo; $(MAKE) --no-print-directory bench-startup; fi; \
	status=$$?; \
	echo "make bench took $$(( $$(date +%s) - started )) s"; \
	exit $$status
