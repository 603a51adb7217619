// The sharp baseline of bench/images.py: the same files, bounds and quality, through sharp.
// Reads a JSON job on stdin, prints one JSON result line per (file, format).
// Settings mirror Scanlink's encoders (see webapp/services/image_optimise.py) so that
// bytes compare like for like: WebP method 6, AVIF speed 6 (sharp effort 3) with 4:2:0,
// progressive JPEG with optimised Huffman tables, PNG at zlib level 9.
const fs = require("fs");
const sharp = require("sharp");

function encoder(format, quality) {
  switch (format) {
    case "webp": return (p) => p.webp({ quality, effort: 6, alphaQuality: 100 });
    case "avif": return (p) => p.avif({ quality, effort: 3, chromaSubsampling: "4:2:0" });
    case "jpeg": return (p) => p.jpeg({ quality, progressive: true, optimiseCoding: true,
      chromaSubsampling: "4:2:0" });
    case "png": return (p) => p.png({ compressionLevel: 9, adaptiveFiltering: true });
    default: throw new Error(`unknown format ${format}`);
  }
}

async function encodeOnce(input, job, format) {
  const pipeline = sharp(input, { limitInputPixels: job.maxPixels })
    .rotate()  // honour EXIF orientation, as Scanlink does
    .resize({ width: job.maxWidth, height: job.maxHeight, fit: "inside", withoutEnlargement: true });
  const start = process.hrtime.bigint();
  const data = await encoder(format, job.quality)(pipeline).toBuffer({ resolveWithObject: true });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { bytes: data.data.length, width: data.info.width, height: data.info.height, ms };
}

async function main() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  if (job.threads) sharp.concurrency(job.threads);
  sharp.cache(false);  // no cached decodes between repeats: each run does the whole work
  for (const file of job.files) {
    const input = fs.readFileSync(file);
    for (const format of job.formats) {
      const runs = [];
      for (let i = 0; i < job.repeats; i++) runs.push(await encodeOnce(input, job, format));
      const times = runs.map((r) => r.ms).sort((a, b) => a - b);
      const { bytes, width, height } = runs[0];
      console.log(JSON.stringify({ file, format, bytes, width, height,
        ms: times[0], threads: sharp.concurrency() }));
    }
  }
}

main().catch((err) => { console.error(err.stack || String(err)); process.exit(1); });
