"""Case photos: intake (photos: verify, read EXIF, strip it, make renditions) and storage
(storage: content-addressed files behind the PhotoStore interface)."""
