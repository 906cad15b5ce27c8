# The two commands of the README, and the steps they are made of.
.PHONY: demo test setup build bench bench-codec profile size

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

build:
	bash scripts/setup.sh && bash scripts/build.sh

bench-codec:
	bash scripts/bench-codec.sh

bench:
	bash scripts/bench.sh

profile:
	bash scripts/profile.sh

size:
	bash scripts/size.sh
