// The README's embedder program: a trained pix2pixHD generator, a label map and its instance map in,
// the synthesized image out, on the device named on the command line (default cpu). Built by the
// `consumer` test against an installed i2i (find_package(i2i COMPONENTS translator)).
//
//   embed CHECKPOINT LABEL.png INSTANCE.png OUT.png [cpu|cuda:N]
// snippet-begin: embedder
#include <i2i/translator.hpp>

int main(int argc, char** argv) {
  auto t = i2i::pix2pixhd::load_translator(argv[1], i2i::device::parse(argc > 5 ? argv[5] : "cpu"));
  auto image = t.translate(i2i::data::read_map(argv[2]), i2i::data::read_map(argv[3]));
  i2i::io::write_png(argv[4], image);
}
// snippet-end
