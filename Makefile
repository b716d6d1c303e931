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

clean:
	rm -rf dist
