// Where the reference's links to other namespaces point (gi-docgen's
// urlmap_file, docs/furlhint.toml.in).
baseURLs = [
    [ 'GLib', 'https://docs.gtk.org/glib/' ],
    [ 'GObject', 'https://docs.gtk.org/gobject/' ],
    [ 'Gio', 'https://docs.gtk.org/gio/' ],
]
