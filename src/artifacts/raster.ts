/** SVG → PNG with resvg (no browser, no system fonts: the shipped DejaVu fonts only). */
import { Resvg } from '@resvg/resvg-js';
import { BADGE_FONT_FAMILY } from './svg.js';
import { FONT_FILES } from './fonts.js';

export function rasterize(svg: string, widthPx = 512): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: widthPx },
    font: { fontFiles: [FONT_FILES.regular, FONT_FILES.bold], loadSystemFonts: false, defaultFontFamily: BADGE_FONT_FAMILY },
  });
  return Buffer.from(resvg.render().asPng());
}
