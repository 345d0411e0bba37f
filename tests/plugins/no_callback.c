/* stub */ int no_callback_stub_symbol;
