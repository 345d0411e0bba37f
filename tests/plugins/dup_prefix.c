/* stub */ int dup_prefix_stub_symbol;
