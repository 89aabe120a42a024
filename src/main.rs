//! Thin entry point: pick the personality from argv[0], run it, exit with its code.

fn main() {
    let code = nslab::dispatch(std::env::args_os().collect());
    std::process::exit(code);
}
