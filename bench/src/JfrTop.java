import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the server's CPU time went in a JFR recording (bench/checkin.sh): execution samples
 * counted by top frame (self time), and by area (inclusive: a sample counts for the first area
 * whose package appears anywhere in its stack, in the order listed).
 *
 * <p>Usage: {@code java JfrTop.java recording.jfr}
 */
public final class JfrTop {
    static final Map<String, String> AREAS = new LinkedHashMap<>();

    static {
        AREAS.put("database (HSQLDB)", "org.hsqldb.");
        AREAS.put("directive signing (ed25519)", "io.patchfleet.server.machines.internal.DirectiveSigner");
        AREAS.put("JSON (Jackson)", "com.fasterxml.jackson.");
        AREAS.put("check-in route (other)", "io.patchfleet.server.machines.");
        AREAS.put("router, auth, metrics", "io.patchfleet.server.http.");
        AREAS.put("Jetty and servlet", "org.eclipse.jetty.");
    }

    public static void main(String[] args) throws Exception {
        Map<String, Integer> top = new HashMap<>();
        Map<String, Integer> areas = new LinkedHashMap<>();
        AREAS.keySet().forEach(a -> areas.put(a, 0));
        areas.put("other (JDK, GC-adjacent, idle threads)", 0);
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (!frames.isEmpty()) {
                RecordedFrame f = frames.get(0);
                top.merge(f.getMethod().getType().getName() + "." + f.getMethod().getName(), 1, Integer::sum);
            }
            String area = "other (JDK, GC-adjacent, idle threads)";
            found:
            for (Map.Entry<String, String> a : AREAS.entrySet()) {
                for (RecordedFrame f : frames) {
                    if (f.getMethod().getType().getName().startsWith(a.getValue())) {
                        area = a.getKey();
                        break found;
                    }
                }
            }
            areas.merge(area, 1, Integer::sum);
        }
        int total = samples;
        System.out.printf("%d execution samples%n%nby area (inclusive, first match in the order listed):%n", samples);
        for (Map.Entry<String, Integer> a : areas.entrySet()) {
            System.out.printf("%6.1f %%  %s%n", 100.0 * a.getValue() / Math.max(1, total), a.getKey());
        }
        System.out.printf("%ntop frames (self):%n");
        top.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(40)
                .forEach(t -> System.out.printf("%6.1f %%  %s%n", 100.0 * t.getValue() / Math.max(1, total), t.getKey()));
    }
}
