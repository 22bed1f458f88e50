// The mime types used when no mime.types file can be read (a container without /etc/mime.types):
// the extensions a web site commonly serves, with the types Debian's /etc/mime.types gives them
// (so a machine with the file and one without answer alike for these).

// biome-ignore format: one extension per entry, grouped by family
export const BUNDLED_MIME_TYPES: ReadonlyMap<string, string> = new Map([
  // text
  ['html', 'text/html'], ['htm', 'text/html'], ['shtml', 'text/html'],
  ['css', 'text/css'], ['csv', 'text/csv'], ['txt', 'text/plain'], ['text', 'text/plain'],
  ['diff', 'text/x-diff'], ['md', 'text/markdown'], ['markdown', 'text/markdown'],
  ['xml', 'application/xml'], ['xsl', 'application/xslt+xml'], ['xslt', 'application/xslt+xml'],
  ['ics', 'text/calendar'], ['vcf', 'text/vcard'], ['mjs', 'text/javascript'],
  ['js', 'text/javascript'], ['json', 'application/json'], ['jsonld', 'application/ld+json'], ['webmanifest', 'application/manifest+json'],
  ['rss', 'application/x-rss+xml'], ['atom', 'application/atom+xml'], ['wasm', 'application/wasm'],
  // images
  ['png', 'image/png'], ['jpg', 'image/jpeg'], ['jpeg', 'image/jpeg'], ['jpe', 'image/jpeg'],
  ['gif', 'image/gif'], ['webp', 'image/webp'], ['avif', 'image/avif'], ['svg', 'image/svg+xml'],
  ['svgz', 'image/svg+xml'], ['ico', 'image/vnd.microsoft.icon'], ['bmp', 'image/bmp'],
  ['tif', 'image/tiff'], ['tiff', 'image/tiff'],
  // fonts
  ['woff', 'font/woff'], ['woff2', 'font/woff2'], ['ttf', 'font/ttf'], ['otf', 'font/otf'],
  ['eot', 'application/vnd.ms-fontobject'],
  // audio / video
  ['mp3', 'audio/mpeg'], ['ogg', 'audio/ogg'], ['oga', 'audio/ogg'], ['wav', 'audio/x-wav'],
  ['flac', 'audio/flac'], ['m4a', 'audio/mp4'], ['mp4', 'video/mp4'], ['m4v', 'video/mp4'],
  ['webm', 'video/webm'], ['ogv', 'video/ogg'], ['mov', 'video/quicktime'], ['avi', 'video/x-msvideo'],
  ['mpeg', 'video/mpeg'], ['mpg', 'video/mpeg'],
  // documents and archives
  ['pdf', 'application/pdf'], ['zip', 'application/zip'], ['gz', 'application/gzip'],
  ['tgz', 'application/x-gtar-compressed'], ['xz', 'application/x-xz'],
  ['tar', 'application/x-tar'], ['7z', 'application/x-7z-compressed'], ['rar', 'application/vnd.rar'],
  ['doc', 'application/msword'], ['xls', 'application/vnd.ms-excel'],
  ['ppt', 'application/vnd.ms-powerpoint'],
  ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  ['odt', 'application/vnd.oasis.opendocument.text'], ['rtf', 'application/rtf'],
  ['epub', 'application/epub+zip'], ['bin', 'application/octet-stream'],
  ['exe', 'application/x-msdos-program'], ['iso', 'application/x-iso9660-image'],
  ['deb', 'application/vnd.debian.binary-package'],
]);
